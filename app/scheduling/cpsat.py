"""Improve a plan with OR-Tools CP-SAT (issue 7, item 3).

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

Every solve is seeded (``AddHint``) with the incumbent, starting from the best dispatching plan, so
the result is never worse than the seed. The search is our own large-neighbourhood search around
the incumbent: each step (0.3 s) relaxes about half the operations — a window in start order
around the completion of an order picked by its weighted tardiness — keeps the other operations
that start in the range in their incumbent order on their machine and person (they may still shift
in time), fixes the rest, and lets CP-SAT re-optimise it with an objective cut-off. Sub-models of
150 operations or more are searched by CP-SAT's own neighbourhood search only (``use_lns_only``),
with probing and symmetry detection off (they cost ~0.2 s of presolve per step). A plain seeded
solve of the whole model is the alternative (``lns=False``).

OR-Tools is imported inside the functions (its import costs about 0.45 s).
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from app.scheduling.model import Assignment, Problem, Solution, evaluate, gaps
from app.scheduling.rules import _windows, fast_plan, prepare


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


#: progress(weighted tardiness, makespan, seconds since start)
Progress = Callable[[int, int, float], None]


@dataclass
class _Op:
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


class _Model:
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
        self.ops: list[_Op] = []
        self.lb: list[int] = []  # bounds on each free operation's start (release, fixed neighbours)
        self.ub: list[int] = []
        self.fixed: list[Assignment] = []
        m_iv: list[list[Any]] = [[] for _ in p.machine_ids]
        s_iv: list[list[Any]] = [[] for _ in p.staff_ids]
        self.m_ops: list[list[int]] = [[] for _ in p.machine_ids]
        self.s_ops: list[list[int]] = [[] for _ in p.staff_ids]  # ops that may use the person
        # breaks
        for i, mach in enumerate(problem.machines):
            for a, b in gaps(_windows(mach.windows, problem.horizon), H):
                m_iv[i].append(m.new_fixed_size_interval_var(a, b - a, ""))
        for i, st in enumerate(problem.staff):
            for a, b in gaps(_windows(st.windows, problem.horizon), H):
                s_iv[i].append(m.new_fixed_size_interval_var(a, b - a, ""))
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
                o = _Op(j, k, p.op_machine[j][k], d, p.op_staff[j][k], s)
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

    def sub_model(self, relaxed: set[int], lo: int, hi: int, cutoff: int) -> tuple[Any, dict[int, Any], dict[int, tuple]]:
        """A small model: relaxed operations free in [lo, hi); others starting in [lo, hi) keep
        their order and person but may shift; everything else stays where it is."""
        cp = self.cp_model
        m = cp.CpModel()
        starts, staff = self.inc_start, self.inc_staff
        ops = self.ops
        var_ops = [i for i in range(len(ops)) if i in relaxed or (lo <= starts[i] < hi and starts[i] + ops[i].dur <= hi)]
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
                    s_iv.setdefault(staff[i], []).append(iv)
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
                if i not in relaxed and (ops[i].cands is not None or key is not None) and key(i) is not None:
                    seqs.setdefault(key(i), []).append(i)
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


#: operations relaxed per LNS step at the start (the size then adapts)
_LNS_SIZE = 450
#: sub-models with at least this many operations are searched by CP-SAT's neighbourhood search only
_LNS_ONLY_FROM = 150


def _params(solver: Any, seconds: float, workers: int, seed: int = 0, lns_only: bool = False) -> None:
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.01, seconds)
    prm.num_workers = workers
    prm.random_seed = seed
    # Probing and symmetry detection cost about 0.2 s of presolve on a 250-operation sub-model and
    # buy nothing here: with them a 0.25 s step often ended before the search had started.
    prm.cp_model_probing_level = 0
    prm.symmetry_level = 0
    # Large sub-models: every worker runs CP-SAT's own neighbourhood search around the hint, which
    # improves far faster than a complete search that tries to prove a bound it never reaches.
    prm.use_lns_only = lns_only


def improve(problem: Problem, seed: Solution | None = None, *, seconds: float = 10.0,
            progress: Progress | None = None, cancel: CancelFlag | None = None, workers: int = 2,
            lns: bool = True, random_seed: int = 0, step_seconds: float = 0.3) -> Solution:
    """A plan at least as good as ``seed`` (default: :func:`fast_plan`) by (weighted tardiness, makespan).

    ``progress`` is called with each better plan's weighted tardiness, makespan and the seconds
    since the start; ``cancel.is_set()`` stops the search (within about half a second) and the
    best plan so far is returned. ``stats`` reports the seed, the iterations and the time."""
    t0 = time.perf_counter()
    seed = seed or fast_plan(problem)
    cut = lambda: cancel is not None and cancel.is_set()  # noqa: E731
    base = _Model(problem, seed, full=not lns)
    if not base.ops:
        return Solution(seed.assignments, seed.weighted_tardiness, seed.makespan, seed.unscheduled, seed.method,
                        seed.late_jobs, {"seed": seed.objective, "iterations": 0})
    cp = base.cp_model
    stats: dict[str, Any] = {"seed": seed.objective, "seed_method": seed.method, "iterations": 0,
                             "improvements": 0, "lns_only_steps": 0, "build_seconds": time.perf_counter() - t0}
    deadline = t0 + seconds

    def accept(starts: list[int], staff: list[int | None]) -> bool:
        wt, cm = base.objective_of(starts)
        obj = base.big * wt + cm
        if obj < base.inc_obj:
            base.inc_start, base.inc_staff, base.inc_obj = starts, staff, obj
            base.order = sorted(range(len(starts)), key=lambda i: starts[i])
            stats["improvements"] += 1
            if progress is not None:
                progress(wt, cm, time.perf_counter() - t0)
            return True
        return False

    if not lns:
        base.hint(base.model)
        solver = cp.CpSolver()
        _params(solver, deadline - time.perf_counter(), workers, random_seed)

        class _CB(cp.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                if progress is not None:
                    v = int(self.objective_value)
                    progress(v // base.big, v % base.big, time.perf_counter() - t0)
                if cut():
                    self.stop_search()

        status = solver.solve(base.model, _CB())
        if status in (cp.OPTIMAL, cp.FEASIBLE):
            starts, staff = base.read(solver, base.model)
            wt, cm = base.objective_of(starts)
            if base.big * wt + cm < base.inc_obj:
                base.inc_start, base.inc_staff, base.inc_obj = starts, staff, base.big * wt + cm
        stats["status"] = solver.status_name(status)
        stats["seconds"] = time.perf_counter() - t0
        return base.solution("cp-sat", stats)

    rng = random.Random(random_seed)
    n = len(base.ops)
    # About half the operations per step: CP-SAT's own neighbourhood search inside the sub-model
    # does the fine work, and our window keeps its model (and presolve) small. The machine-subset
    # neighbourhood ("late_machines") is left out: over a long window it pulled in nearly every
    # operation and its steps gained little.
    size = {k: float(max(10, min(n, _LNS_SIZE))) for k in ("window", "late_machines", "late")}
    kinds = ("late",)
    it = 0
    while not cut():
        left = deadline - time.perf_counter()
        if left < 0.05:
            break
        kind = kinds[it % len(kinds)]
        relaxed, lo, hi = base.neighbourhood(rng, int(size[kind]), kind)
        sub, sv, lits = base.sub_model(relaxed, lo, hi, base.inc_obj)
        solver = cp.CpSolver()
        budget = min(left, step_seconds)
        lns_only = len(sv) >= _LNS_ONLY_FROM
        stats["lns_only_steps"] += lns_only
        _params(solver, budget, workers, rng.randrange(1 << 30), lns_only=lns_only)

        class _Stop(cp.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                if cut():
                    self.stop_search()

        status = solver.solve(sub, _Stop())
        it += 1
        improved = False
        if status in (cp.OPTIMAL, cp.FEASIBLE):
            starts = list(base.inc_start)
            staff = list(base.inc_staff)
            for i, x in sv.items():
                starts[i] = solver.value(x)
            for i, ls in lits.items():
                staff[i] = next(c for c, lit in zip(base.ops[i].cands, ls) if solver.boolean_value(lit))
            improved = accept(starts, staff)
        # adapt: sub-problems solved to optimality grow, those that time out without a gain shrink
        # (a neighbourhood-search-only step never proves optimality, so it leaves the size alone)
        if status == cp.OPTIMAL or status == cp.INFEASIBLE:
            size[kind] = min(n, size[kind] * 1.15 + 2)
        elif not improved and not lns_only:
            size[kind] = max(10, size[kind] * 0.85)
    stats.update(iterations=it, sizes={k: int(v) for k, v in size.items()},
                 seconds=time.perf_counter() - t0, cancelled=cut())
    return base.solution("cp-sat lns", stats)


# -- background process ----------------------------------------------------------------------

def _worker(problem: Problem, seed: Solution | None, seconds: float, workers: int, lns: bool,
            queue: Any, cancel: Any) -> None:
    try:
        # import OR-Tools (about 0.5 s) before the clock starts, so it does not eat the budget
        from ortools.sat.python import cp_model  # noqa: F401

        sol = improve(problem, seed, seconds=seconds, workers=workers, lns=lns, cancel=cancel,
                      progress=lambda wt, cm, s: queue.put(("progress", (wt, cm, s))))
        queue.put(("done", sol))
    except BaseException as exc:  # reported to the caller, who raises it
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def improve_in_process(problem: Problem, seed: Solution | None = None, *, seconds: float = 10.0,
                       progress: Progress | None = None, cancel: CancelFlag | None = None,
                       workers: int = 2, lns: bool = True, poll: float = 0.1) -> Solution:
    """:func:`improve` in a separate process (``spawn``: no Qt state is inherited).

    Progress arrives over a queue and is passed to ``progress`` in the calling thread; setting
    ``cancel`` (anything with ``is_set()``) asks the process to stop and its best plan is returned.
    If the process dies, the seed is returned with ``stats['error']``."""
    seed = seed or fast_plan(problem)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    stop = ctx.Event()
    proc = ctx.Process(target=_worker, args=(problem, seed, seconds, workers, lns, queue, stop), daemon=True)
    proc.start()
    result: Solution | None = None
    error = None
    limit = time.monotonic() + seconds + 30
    try:
        while result is None and error is None:
            if cancel is not None and cancel.is_set():
                stop.set()
            try:
                kind, payload = queue.get(timeout=poll)
            except Exception:  # queue.Empty
                if not proc.is_alive() and queue.empty():
                    error = f"the improve process ended with code {proc.exitcode}"
                elif time.monotonic() > limit:
                    error = "the improve process did not answer"
                continue
            if kind == "progress" and progress is not None:
                progress(*payload)
            elif kind == "done":
                result = payload
            elif kind == "error":
                error = payload
    finally:
        if result is None:
            stop.set()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)
    if result is None:
        return Solution(seed.assignments, seed.weighted_tardiness, seed.makespan, seed.unscheduled, seed.method,
                        seed.late_jobs, {"error": error})
    return result


__all__ = ["improve", "improve_in_process", "Progress", "CancelFlag"]
