"""The CP-SAT model of a scheduling problem around a seed plan, for the improver in
:mod:`app.scheduling.cpsat` (one responsibility: building the models and reading them back; the search
that drives them is in ``cpsat``).

The model (built once per call):

- one fixed-size interval per free operation on its machine, ``start ∈ [head, H − tail]`` where
  *head* is the release plus the work before it and *tail* the work after it, and
  ``H = min(horizon, 1.1 × seed makespan + longest operation)`` (a tightening: nothing may end
  more than 10 % after the seed's makespan);
- calendars as fixed "break" intervals in each machine's and each person's ``NoOverlap``: an
  operation cannot overlap a break, so it lies inside one window (operations are never split);
- staff: an operation with a skill gets one optional interval per qualified person (exactly one
  present), in that person's ``NoOverlap`` with their breaks;
- locked operations (and the operations of orders the rules could not complete) are fixed
  intervals; precedence ``start[k+1] ≥ end[k]``;
- objective ``(H + 1) × Σ weight·tardiness + makespan``: weighted tardiness first, then makespan.

For the large-neighbourhood search only the plain data is kept (``full=False``) and
:meth:`CpsatModel.sub_model` builds a small model around the incumbent at each step.

OR-Tools is imported inside the functions (its import costs about 0.45 s).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from app.scheduling.model import Assignment, Problem, Solution, evaluate, gaps
from app.scheduling.rules import _windows, prepare


@dataclass
class Op:
    job: int  # job index
    k: int
    machine: int
    dur: int
    cands: tuple[int, ...] | None  # staff indexes, None = no staff
    start: Any = None  # IntVar
    lits: tuple[Any, ...] = ()  # one BoolVar per candidate (when more than one)


class _Null:
    """Stands in for a CP-SAT model, variable or expression when only the plain data is needed."""

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: self

    def _same(self, *a: Any) -> _Null:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __ge__ = __le__ = _same


class CpsatModel:
    """The CP-SAT model of a problem around a seed, with the incumbent kept as plain values.

    With ``full=False`` only the plain data is kept (the search builds small models)."""

    def __init__(self, problem: Problem, seed: Solution, full: bool = True) -> None:
        from ortools.sat.python import cp_model

        self.cp_model = cp_model
        p = prepare(problem)
        self.p = p
        self.problem = problem
        m = cp_model.CpModel() if full else _Null()
        self.model = m
        seed_by = seed.by_op()
        unsched = {(u.job, u.op) for u in seed.unscheduled}
        m_index = {mid: i for i, mid in enumerate(p.machine_ids)}
        s_index = {sid: i for i, sid in enumerate(p.staff_ids)}
        longest = max((d for ds in p.op_dur for d in ds), default=1)
        H = int(seed.makespan * 1.1) + longest
        if problem.horizon is not None:
            H = min(H, problem.horizon)
        H = max(H, seed.makespan)
        self.H = H
        self.big = H + 1
        self.ops: list[Op] = []
        self.lb: list[int] = []  # bounds on each free operation's start (release, fixed neighbours)
        self.ub: list[int] = []
        self.fixed: list[Assignment] = []
        m_iv: list[list[Any]] = [[] for _ in p.machine_ids]
        s_iv: list[list[Any]] = [[] for _ in p.staff_ids]
        self.m_ops: list[list[int]] = [[] for _ in p.machine_ids]
        self.s_ops: list[list[int]] = [[] for _ in p.staff_ids]  # ops that may use the person
        # breaks
        for i, mach in enumerate(problem.machines):
            for gap_start, gap_end in gaps(_windows(mach.windows, problem.horizon), H):
                m_iv[i].append(m.new_fixed_size_interval_var(gap_start, gap_end - gap_start, ""))
        for i, st in enumerate(problem.staff):
            for gap_start, gap_end in gaps(_windows(st.windows, problem.horizon), H):
                s_iv[i].append(m.new_fixed_size_interval_var(gap_start, gap_end - gap_start, ""))
        tard_terms = []
        ends_last = []
        self.job_last: dict[int, int] = {}  # job index -> last op index in self.ops
        self.tard: dict[int, Any] = {}
        for j, job in enumerate(problem.jobs):
            complete = all((job.id, k) in seed_by for k in range(len(job.operations)))
            free = complete and j not in p.bad_jobs
            prev_end: Any = job.release
            prev_idx: int | None = None
            for k, op in enumerate(job.operations):
                a = seed_by.get((job.id, k))
                if a is None:
                    prev_end = None
                    continue
                if not free or p.op_lock[j][k] is not None or (job.id, k) in unsched:
                    self.fixed.append(a)
                    m_iv[m_index[a.machine]].append(m.new_fixed_size_interval_var(a.start, a.end - a.start, ""))
                    if a.staff is not None:
                        s_iv[s_index[a.staff]].append(m.new_fixed_size_interval_var(a.start, a.end - a.start, ""))
                    if prev_end is not None and free:
                        m.add(prev_end <= a.start)
                        if prev_idx is not None:
                            self.ub[prev_idx] = min(self.ub[prev_idx], a.start - self.ops[prev_idx].dur)
                    prev_end = a.end
                    prev_idx = None
                    continue
                d = p.op_dur[j][k]
                head = job.release + sum(p.op_dur[j][:k])
                tail = sum(p.op_dur[j][k + 1:])
                lo, hi = head, max(head, H - d - tail)
                lo = min(lo, a.start)
                hi = max(hi, a.start)
                s = m.new_int_var(lo, hi, "")
                o = Op(j, k, p.op_machine[j][k], d, p.op_staff[j][k], s)
                idx = len(self.ops)
                self.ops.append(o)
                self.lb.append(max(lo, prev_end) if isinstance(prev_end, int) else lo)
                self.ub.append(hi)
                prev_idx = idx
                iv = m.new_fixed_size_interval_var(s, d, "")
                m_iv[o.machine].append(iv)
                self.m_ops[o.machine].append(idx)
                if o.cands is not None:
                    if len(o.cands) == 1:
                        s_iv[o.cands[0]].append(iv)
                    else:
                        lits = tuple(m.new_bool_var("") for _ in o.cands)
                        m.add_exactly_one(lits)
                        o.lits = lits
                        for c, lit in zip(o.cands, lits):
                            s_iv[c].append(m.new_optional_fixed_size_interval_var(s, d, lit, ""))
                    for c in o.cands:
                        self.s_ops[c].append(idx)
                if prev_end is not None:
                    m.add(s >= prev_end)
                prev_end = s + d
                if k == len(job.operations) - 1:
                    self.job_last[j] = idx
            if free and j in self.job_last and job.weight > 0:
                last = self.ops[self.job_last[j]]
                t = m.new_int_var(0, max(0, H - job.due), "")
                m.add(t >= last.start + last.dur - job.due)
                self.tard[j] = t
                tard_terms.append(job.weight * t)
            if free and j in self.job_last:
                ends_last.append(self.ops[self.job_last[j]])
        for ivs in m_iv + s_iv:
            if len(ivs) > 1:
                m.add_no_overlap(ivs)
        fixed_end = max((a.end for a in self.fixed), default=0)
        cmax = m.new_int_var(fixed_end, H, "")
        for o in ends_last:
            m.add(cmax >= o.start + o.dur)
        self.cmax = cmax
        self.wt_expr = sum(tard_terms) if tard_terms else 0
        self.obj_expr = self.big * self.wt_expr + cmax
        m.minimize(self.obj_expr)
        # the incumbent: start and staff index per free op
        self.inc_start = [0] * len(self.ops)
        self.inc_staff: list[int | None] = [None] * len(self.ops)
        for i, o in enumerate(self.ops):
            a = seed_by[(problem.jobs[o.job].id, o.k)]
            self.inc_start[i] = a.start
            self.inc_staff[i] = s_index[a.staff] if a.staff is not None else None
        self.seed = seed
        self.inc_obj = self.big * seed.weighted_tardiness + seed.makespan
        # plain data for the small neighbourhood models
        self.m_breaks = [gaps(_windows(x.windows, problem.horizon), H) for x in problem.machines]
        self.s_breaks = [gaps(_windows(x.windows, problem.horizon), H) for x in problem.staff]
        self.m_fixed: list[list[tuple[int, int]]] = [[] for _ in p.machine_ids]
        self.s_fixed: list[list[tuple[int, int]]] = [[] for _ in p.staff_ids]
        for a in self.fixed:
            self.m_fixed[m_index[a.machine]].append((a.start, a.end))
            if a.staff is not None:
                self.s_fixed[s_index[a.staff]].append((a.start, a.end))
        where = {(o.job, o.k): i for i, o in enumerate(self.ops)}
        self.prev = [where.get((o.job, o.k - 1)) for o in self.ops]
        self.next = [where.get((o.job, o.k + 1)) for o in self.ops]
        self.order: list[int] = sorted(range(len(self.ops)), key=lambda i: self.inc_start[i])

    # -- values --------------------------------------------------------------------------------
    def _job_done(self, starts: list[int]) -> dict[int, int]:
        return {j: starts[i] + self.ops[i].dur for j, i in self.job_last.items()}

    def hint(self, model: Any) -> None:
        """Hint every variable of ``model`` (the base or a clone) with the incumbent."""
        get = model.get_int_var_from_proto_index
        done = self._job_done(self.inc_start)
        for i, o in enumerate(self.ops):
            model.add_hint(get(o.start.index), self.inc_start[i])
            for c, lit in zip(o.cands or (), o.lits):
                model.add_hint(get(lit.index), 1 if c == self.inc_staff[i] else 0)
        for j, t in self.tard.items():
            model.add_hint(get(t.index), max(0, done[j] - self.problem.jobs[j].due))
        model.add_hint(get(self.cmax.index), self.inc_cmax())

    def inc_cmax(self) -> int:
        ends = [s + o.dur for s, o in zip(self.inc_start, self.ops)]
        return max(ends + [a.end for a in self.fixed] + [0])

    def read(self, solver: Any, model: Any) -> tuple[list[int], list[int | None]]:
        get = model.get_int_var_from_proto_index
        starts = [solver.value(get(o.start.index)) for o in self.ops]
        staff: list[int | None] = []
        for o in self.ops:
            if o.cands is None:
                staff.append(None)
            elif len(o.cands) == 1:
                staff.append(o.cands[0])
            else:
                staff.append(next(c for c, lit in zip(o.cands, o.lits) if solver.boolean_value(get(lit.index))))
        return starts, staff

    def solution(self, method: str, stats: dict) -> Solution:
        p = self.p
        out = list(self.fixed)
        for i, o in enumerate(self.ops):
            s = self.inc_start[i]
            st = self.inc_staff[i]
            out.append(Assignment(p.job_ids[o.job], o.k, s, s + o.dur, p.machine_ids[o.machine],
                                  p.staff_ids[st] if st is not None else None))
        return evaluate(self.problem, out, self.seed.unscheduled, method=method, stats=stats)

    def objective_of(self, starts: list[int]) -> tuple[int, int]:
        done = self._job_done(starts)
        wt = sum(self.problem.jobs[j].weight * max(0, c - self.problem.jobs[j].due) for j, c in done.items())
        ends = [s + o.dur for s, o in zip(starts, self.ops)]
        return wt, max(ends + [a.end for a in self.fixed] + [0])

    # -- neighbourhoods ------------------------------------------------------------------------
    def neighbourhood(self, rng: random.Random, size: int, kind: str) -> tuple[set[int], int, int]:
        """Relaxed operations and the time range [lo, hi) the sub-problem may use."""
        n = len(self.ops)
        size = min(size, n)
        order = self.order
        starts = self.inc_start
        if kind in ("late", "late_machines"):
            # around the completion of an order picked in proportion to its weighted tardiness
            done = self._job_done(starts)
            jobs = self.problem.jobs
            cost = {j: jobs[j].weight * max(0, c - jobs[j].due) for j, c in done.items()}
            late = [j for j, c in cost.items() if c > 0]
            if late:
                j = rng.choices(late, weights=[cost[j] for j in late], k=1)[0]
                last_i = self.job_last[j]
                cand = order
                if kind == "late_machines":
                    nm = len(self.m_ops)
                    pick = set(rng.sample(range(nm), min(nm, max(2, nm // 3)))) | {self.ops[last_i].machine}
                    cand = [i for i in order if self.ops[i].machine in pick]
                pos = cand.index(last_i)
                i0 = max(0, pos - int(size * rng.uniform(0.5, 0.95)))
                chosen = cand[i0:i0 + size]
                return set(chosen), starts[chosen[0]], self._hi(chosen)
        i0 = rng.randrange(max(1, n - size + 1))
        chosen = order[i0:i0 + size]
        return set(chosen), starts[chosen[0]], self._hi(chosen)

    def _hi(self, chosen: list[int]) -> int:
        end = max(self.inc_start[i] + self.ops[i].dur for i in chosen)
        lo = min(self.inc_start[i] for i in chosen)
        return min(self.H, end + (end - lo))  # operations after the window may shift within as long again

    def sub_model(self, relaxed: set[int], lo: int, hi: int,
                  cutoff: int) -> tuple[Any, dict[int, Any], dict[int, tuple[Any, ...]]]:
        """A small model: relaxed operations free in [lo, hi); others starting in [lo, hi) keep
        their order and person but may shift; everything else stays where it is."""
        cp = self.cp_model
        m = cp.CpModel()
        starts, staff = self.inc_start, self.inc_staff
        ops = self.ops
        var_ops = [i for i in range(len(ops))
                   if i in relaxed or (lo <= starts[i] < hi and starts[i] + ops[i].dur <= hi)]
        var_set = set(var_ops)
        sv: dict[int, Any] = {}
        lits: dict[int, tuple] = {}
        m_iv: dict[int, list] = {}
        s_iv: dict[int, list] = {}
        hv: list[int] = []
        hval: list[int] = []
        for i in var_ops:
            o = ops[i]
            lb = max(lo, self.lb[i])
            ub = min(hi, self.ub[i] + o.dur) - o.dur
            lb = min(lb, starts[i])
            ub = max(ub, starts[i])
            x = m.new_int_var(lb, ub, "")
            sv[i] = x
            hv.append(x.index)
            hval.append(starts[i])
            iv = m.new_fixed_size_interval_var(x, o.dur, "")
            m_iv.setdefault(o.machine, []).append(iv)
            if o.cands is not None:
                if i not in relaxed or len(o.cands) == 1:
                    person = staff[i]
                    assert person is not None, "an operation with a skill has a person in the incumbent"
                    s_iv.setdefault(person, []).append(iv)
                else:
                    ls = tuple(m.new_bool_var("") for _ in o.cands)
                    m.add_exactly_one(ls)
                    lits[i] = ls
                    for c, lit in zip(o.cands, ls):
                        hv.append(lit.index)
                        hval.append(1 if c == staff[i] else 0)
                        s_iv.setdefault(c, []).append(m.new_optional_fixed_size_interval_var(x, o.dur, lit, ""))
        machines = set(m_iv)
        people = set(s_iv)
        # fixed context: other operations and breaks that overlap [lo, hi)
        for r in machines:
            for a, b in self.m_breaks[r]:
                if a < hi and b > lo:
                    m_iv[r].append(m.new_fixed_size_interval_var(a, b - a, ""))
            for i in self.m_ops[r]:
                if i not in var_set and starts[i] < hi and starts[i] + ops[i].dur > lo:
                    m_iv[r].append(m.new_fixed_size_interval_var(starts[i], ops[i].dur, ""))
            for a_, b_ in self.m_fixed[r]:
                if a_ < hi and b_ > lo:
                    m_iv[r].append(m.new_fixed_size_interval_var(a_, b_ - a_, ""))
        for r in people:
            for a, b in self.s_breaks[r]:
                if a < hi and b > lo:
                    s_iv[r].append(m.new_fixed_size_interval_var(a, b - a, ""))
            for i in self.s_ops[r]:
                if i not in var_set and staff[i] == r and starts[i] < hi and starts[i] + ops[i].dur > lo:
                    s_iv[r].append(m.new_fixed_size_interval_var(starts[i], ops[i].dur, ""))
            for a_, b_ in self.s_fixed[r]:
                if a_ < hi and b_ > lo:
                    s_iv[r].append(m.new_fixed_size_interval_var(a_, b_ - a_, ""))
        for ivs in list(m_iv.values()) + list(s_iv.values()):
            if len(ivs) > 1:
                m.add_no_overlap(ivs)
        # order of the shifting (non-relaxed) operations on machines and people
        for res, key in ((machines, lambda i: ops[i].machine), (people, lambda i: staff[i])):
            seqs: dict[int, list[int]] = {}
            for i in var_ops:
                holder = key(i)  # None: an operation that needs no person
                if i not in relaxed and holder is not None:
                    seqs.setdefault(holder, []).append(i)
            for seq in seqs.values():
                seq.sort(key=lambda i: starts[i])
                for a_, b_ in zip(seq, seq[1:]):
                    m.add(sv[a_] + ops[a_].dur <= sv[b_])
        # precedence inside jobs
        tard = []
        wt_const = 0
        cmax_terms = []
        for i in var_ops:
            o = ops[i]
            p_ = self.prev[i]
            if p_ is not None:
                if p_ in var_set:
                    m.add(sv[p_] + ops[p_].dur <= sv[i])
                else:
                    m.add(sv[i] >= starts[p_] + ops[p_].dur)
            n_ = self.next[i]
            if n_ is not None and n_ not in var_set:
                m.add(sv[i] + o.dur <= starts[n_])
            if n_ is None:
                cmax_terms.append(sv[i] + o.dur)
                job = self.problem.jobs[o.job]
                if job.weight > 0 and o.job in self.tard:
                    t = m.new_int_var(0, max(0, hi - job.due), "")
                    m.add(t >= sv[i] + o.dur - job.due)
                    hv.append(t.index)
                    hval.append(max(0, starts[i] + o.dur - job.due))
                    tard.append(job.weight * t)
        # constant part of the objective: jobs whose last operation stays put
        done = self._job_done(starts)
        for j, c in done.items():
            if self.job_last[j] not in var_set:
                wt_const += self.problem.jobs[j].weight * max(0, c - self.problem.jobs[j].due)
        rest_end = max([starts[i] + ops[i].dur for i in range(len(ops)) if i not in var_set]
                       + [a.end for a in self.fixed] + [0])
        cmax = m.new_int_var(rest_end, max(rest_end, hi), "")
        for e in cmax_terms:
            m.add(cmax >= e)
        hv.append(cmax.index)
        hval.append(max([rest_end] + [starts[i] + ops[i].dur for i in var_ops if self.next[i] is None]))
        # the incumbent as a complete hint, written to the proto at once (add_hint costs ~10 µs a call)
        m.proto.solution_hint.vars.extend(hv)
        m.proto.solution_hint.values.extend(hval)
        inc_wt = cutoff // self.big
        if inc_wt > 0 and tard:
            # weighted tardiness alone (a smaller objective is easier to prove); makespan breaks ties
            # when the plans are compared
            wt = sum(tard)
            m.add(wt + wt_const <= inc_wt)
            m.minimize(wt)
        else:
            obj = self.big * (sum(tard) + wt_const) + cmax
            m.add(obj <= cutoff)
            m.minimize(obj)
        return m, sv, lits
