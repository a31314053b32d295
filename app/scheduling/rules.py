"""Dispatching rules and the fast plan (issue 7, item 2).

The list scheduler is a non-delay dispatcher over machines: it repeatedly takes the machine that
can start something soonest, and among the operations waiting there (the next operation of each
job whose predecessor has finished) the rule picks one; the operation then starts at the earliest
minute at which the machine is free and inside one of its calendar windows *and* a staff member
with the skill is free and on shift for the whole operation (operations are never split across a
break; staff are chosen for the earliest start, then the fewest other skills). Locked operations
are placed first and stay put; the operations before a locked one are dispatched ahead of
everything else so that they finish before the lock (if they cannot, they are reported).

Rules (smaller key = more urgent, ``now`` = the machine's decision time):

- ``edd`` — earliest due date;
- ``cr`` — critical ratio, (due − now) / remaining work;
- ``slack_per_op`` — (due − now − remaining work) / remaining operations;
- ``mwkr`` — most work remaining;
- ``spt`` — shortest operation first;
- ``wspt`` — largest weight / operation time;
- ``atc`` — apparent tardiness cost (Vepsalainen & Morton), weight / time × exp(−slack⁺ / (k · p̄)).

:func:`fast_plan` runs every rule and keeps the best by (weighted tardiness, makespan).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

from app.scheduling.model import (OPEN_END, Assignment, Id, Problem, Solution, Unscheduled, Window, evaluate,
                                  label, merge_windows, subtract)

#: every rule :func:`dispatch` knows
ALL_RULES: tuple[str, ...] = ("edd", "cr", "slack_per_op", "mwkr", "spt", "wspt", "atc")
#: the rules :func:`fast_plan` tries by default (``spt`` rarely wins on tardiness)
RULES: tuple[str, ...] = ("edd", "cr", "slack_per_op", "mwkr", "wspt", "atc")


@dataclass
class _Prepared:
    """Index-based view of a problem, shared by every rule run."""

    problem: Problem
    job_ids: list[Id]
    due: list[int]
    weight: list[int]
    release: list[int]
    # per job, per op
    op_machine: list[list[int]]
    op_dur: list[list[int]]
    op_staff: list[list[tuple[int, ...] | None]]  # candidate staff indexes, None = no staff needed
    op_lock: list[list[tuple[int, int, int | None] | None]]  # (start, machine index, staff index)
    op_deadline: list[list[int | None]]  # latest end, because a later operation is locked
    rem_work: list[list[int]]  # work from op k to the end, inclusive
    bad_jobs: dict[int, list[Unscheduled]]
    machine_ids: list[Id]
    staff_ids: list[Id]
    staff_nskills: list[int]
    m_windows: list[list[Window]]  # calendar minus valid locks
    s_windows: list[list[Window]]
    locked: list[Assignment]
    mean_p: float


def _windows(windows: tuple[Window, ...] | None, horizon: int | None) -> tuple[Window, ...]:
    end = OPEN_END if horizon is None else horizon
    if windows is None:
        return ((0, end),)
    return tuple((max(0, s), min(e, end)) for s, e in merge_windows(windows) if min(e, end) > max(0, s))


def _fits(windows: tuple[Window, ...], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in windows)


def prepare(problem: Problem) -> _Prepared:
    """Index the problem and sort out bad input (each problem names the order and operation)."""
    m_index = {m.id: i for i, m in enumerate(problem.machines)}
    s_index = {s.id: i for i, s in enumerate(problem.staff)}
    m_cal = [_windows(m.windows, problem.horizon) for m in problem.machines]
    s_cal = [_windows(s.windows, problem.horizon) for s in problem.staff]
    by_skill: dict[str, tuple[int, ...]] = {}
    for i, s in enumerate(problem.staff):
        for sk in s.skills:
            by_skill[sk] = by_skill.get(sk, ()) + (i,)

    bad: dict[int, list[Unscheduled]] = {}
    m_busy: list[list[tuple[int, int, int]]] = [[] for _ in problem.machines]  # (start, end, job index)
    s_busy: list[list[tuple[int, int, int]]] = [[] for _ in problem.staff]
    op_machine, op_dur, op_staff, op_lock = [], [], [], []

    for ji, job in enumerate(problem.jobs):
        mach, dur, stf, lck = [], [], [], []
        problems: list[tuple[int, str]] = []
        prev_lock_end: int | None = None
        work_since_lock = 0
        for k, op in enumerate(job.operations):
            where = label(job, k)
            mi = m_index.get(op.machine)
            cands: tuple[int, ...] | None = None
            if op.skill is not None:
                cands = by_skill.get(op.skill, ())
                if not cands:
                    problems.append((k, f"{where} needs the skill '{op.skill}', which nobody has"))
            if mi is None:
                problems.append((k, f"{where} needs machine {op.machine}, which does not exist"))
                mi = 0
            elif not m_cal[mi]:
                problems.append((k, f"{where}: machine {op.machine} has no working hours"))
            elif cands and not any(s_cal[c] for c in cands):
                problems.append((k, f"{where}: nobody with the skill '{op.skill}' has a shift"))
            lock = None
            if op.lock is not None:
                lk = op.lock
                lm = m_index.get(lk.machine)
                ls = s_index.get(lk.staff) if lk.staff is not None else None
                end = lk.start + op.duration
                if lm is None:
                    problems.append((k, f"{where} is locked on machine {lk.machine}, which does not exist"))
                elif not _fits(m_cal[lm], lk.start, end):
                    problems.append((k, f"{where} is locked outside the working hours of machine {lk.machine}"))
                elif op.skill is not None and (ls is None or ls not in (cands or ())):
                    problems.append((k, f"{where} is locked to {lk.staff!s}, who does not have the skill "
                                        f"'{op.skill}'" if ls is not None else
                                        f"{where} is locked without a staff member with the skill '{op.skill}'"))
                elif ls is not None and not _fits(s_cal[ls], lk.start, end):
                    problems.append((k, f"{where} is locked outside the shifts of {lk.staff!s}"))
                elif lk.start < (job.release if prev_lock_end is None else prev_lock_end) + work_since_lock:
                    problems.append((k, f"{where} is locked before its earlier operations can be done"))
                else:
                    lock = (lk.start, lm, ls)
                    prev_lock_end = end
                    work_since_lock = 0
                    mi = lm
            if lock is None:
                work_since_lock += op.duration
            mach.append(mi)
            dur.append(op.duration)
            stf.append(cands)
            lck.append(lock)
        # locks overlapping earlier (valid) locks on the same machine or person
        if not problems:
            for k, lock in enumerate(lck):
                if lock is None:
                    continue
                st, lm, ls = lock
                en = st + dur[k]
                for bs, be, other in m_busy[lm]:
                    if bs < en and st < be:
                        problems.append((k, f"{label(job, k)} is locked over order "
                                            f"{problem.jobs[other].id} on machine {problem.machines[lm].id}"))
                        break
                if ls is not None:
                    for bs, be, other in s_busy[ls]:
                        if bs < en and st < be:
                            problems.append((k, f"{label(job, k)} is locked to {problem.staff[ls].id}, who "
                                                f"is already locked on order {problem.jobs[other].id} then"))
                            break
        if problems:
            reasons = dict(problems[::-1])
            bad[ji] = [Unscheduled(job.id, k, reasons.get(k, f"not scheduled: {problems[0][1]}"))
                       for k in range(len(job.operations))]
        else:
            for k, lock in enumerate(lck):
                if lock is not None:
                    st, lm, ls = lock
                    m_busy[lm].append((st, st + dur[k], ji))
                    if ls is not None:
                        s_busy[ls].append((st, st + dur[k], ji))
        op_machine.append(mach)
        op_dur.append(dur)
        op_staff.append(stf)
        op_lock.append(lck)

    rem_work, deadlines = [], []
    for ji, job in enumerate(problem.jobs):
        d = op_dur[ji]
        rw = [0] * len(d)
        acc = 0
        for k in range(len(d) - 1, -1, -1):
            acc += d[k]
            rw[k] = acc
        rem_work.append(rw)
        dl: list[int | None] = [None] * len(d)
        nxt: int | None = None
        for k in range(len(d) - 1, -1, -1):
            lock = op_lock[ji][k]
            if lock is not None:
                nxt = lock[0]
            elif nxt is not None:
                dl[k] = nxt
                nxt -= d[k]
        deadlines.append(dl)

    locked = []
    for ji, job in enumerate(problem.jobs):
        if ji in bad:
            continue
        for k, lock in enumerate(op_lock[ji]):
            if lock is not None:
                st, lm, ls = lock
                locked.append(Assignment(job.id, k, st, st + op_dur[ji][k], problem.machines[lm].id,
                                         problem.staff[ls].id if ls is not None else None))
    all_d = [d for ds in op_dur for d in ds]
    return _Prepared(
        problem, [j.id for j in problem.jobs], [j.due for j in problem.jobs], [j.weight for j in problem.jobs],
        [j.release for j in problem.jobs], op_machine, op_dur, op_staff, op_lock, deadlines, rem_work, bad,
        [m.id for m in problem.machines], [s.id for s in problem.staff], [len(s.skills) for s in problem.staff],
        [list(subtract(m_cal[i], [(b[0], b[1]) for b in m_busy[i]])) for i in range(len(problem.machines))],
        [list(subtract(s_cal[i], [(b[0], b[1]) for b in s_busy[i]])) for i in range(len(problem.staff))],
        locked, (sum(all_d) / len(all_d)) if all_d else 1.0)


def _fit_from(windows: list[Window], n: int, i: int, t: int, d: int) -> tuple[int | None, int]:
    """Earliest start ≥ t of [start, start + d) inside one window, scanning from window i.

    Returns (start or None, index of the window used)."""
    while i < n:
        s, e = windows[i]
        if t < s:
            t = s
        if t + d <= e:
            return t, i
        i += 1
    return None, i


def _picker(rule: str, p: _Prepared, nxt: list[int], ready: list[int], k_atc: float
            ) -> Callable[[list[int], int], int]:
    """``pick(queue, now)``: the job whose next operation the rule takes (ties: lowest index)."""
    due, w, dur, rw = p.due, p.weight, p.op_dur, p.rem_work
    if rule in ("edd", "mwkr", "spt", "wspt"):
        if rule == "edd":
            static = [[float(due[j])] * len(dur[j]) for j in range(len(due))]
        elif rule == "mwkr":
            static = [[-float(r) for r in rw[j]] for j in range(len(due))]
        elif rule == "spt":
            static = [[float(d) for d in dur[j]] for j in range(len(due))]
        else:
            static = [[-w[j] / d for d in dur[j]] for j in range(len(due))]
        return lambda q, now: min((static[j][nxt[j]], j) for j in q if ready[j] <= now)[1]
    if rule == "cr":
        return lambda q, now: min(((due[j] - now) / rw[j][nxt[j]], j) for j in q if ready[j] <= now)[1]
    if rule == "slack_per_op":
        nops = [len(d) for d in dur]
        return lambda q, now: min(((due[j] - now - rw[j][nxt[j]]) / (nops[j] - nxt[j]), j)
                                  for j in q if ready[j] <= now)[1]
    if rule == "atc":
        inv = 1.0 / (k_atc * p.mean_p)
        exp = math.exp

        def atc(q: list[int], now: int) -> int:
            best, chosen = 1.0, -1
            for j in q:
                if ready[j] > now:
                    continue
                k = nxt[j]
                slack = due[j] - now - rw[j][k]
                v = -(w[j] / dur[j][k]) * (exp(-slack * inv) if slack > 0 else 1.0)
                if v < best or chosen < 0:
                    best, chosen = v, j
            return chosen

        return atc
    raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(ALL_RULES)}")


def dispatch(problem: Problem | _Prepared, rule: str, *, k_atc: float = 2.0) -> Solution:
    """Schedule every operation with one dispatching rule."""
    p = problem if isinstance(problem, _Prepared) else prepare(problem)
    nm, ns = len(p.machine_ids), len(p.staff_ids)
    m_win = p.m_windows
    s_win = p.s_windows
    m_free = [0] * nm
    m_ptr = [0] * nm  # first window that can still be used (machine time only moves forward)
    s_ptr = [0] * ns
    s_free = [0] * ns
    njobs = len(p.job_ids)
    nxt = [0] * njobs
    ready = list(p.release)
    queue: list[list[int]] = [[] for _ in range(nm)]
    out: list[Assignment] = list(p.locked)
    unscheduled: list[Unscheduled] = [u for us in p.bad_jobs.values() for u in us]
    op_machine, op_dur, op_staff, op_lock, op_deadline = p.op_machine, p.op_dur, p.op_staff, p.op_lock, p.op_deadline
    job_ids, machine_ids, staff_ids, nsk = p.job_ids, p.machine_ids, p.staff_ids, p.staff_nskills
    jobs = p.problem.jobs

    def give_up(j: int, k: int, reason: str) -> None:
        for kk in range(k, len(op_dur[j])):
            if op_lock[j][kk] is None or kk == k:
                unscheduled.append(Unscheduled(job_ids[j], kk, reason if kk == k else
                                               f"not scheduled: {label(jobs[j], k)} could not be"))

    def advance(j: int) -> None:
        """Move job j to its next unlocked operation and queue it."""
        k = nxt[j]
        ops = op_lock[j]
        while k < len(ops):
            lock = ops[k]
            if lock is None:
                break
            st = lock[0]
            if ready[j] > st:  # cannot happen for valid locks, kept for safety
                give_up(j, k, f"{label(jobs[j], k)}: its earlier operations end after its lock")
                nxt[j] = len(ops)
                return
            ready[j] = st + op_dur[j][k]
            k += 1
        nxt[j] = k
        if k < len(ops):
            m = op_machine[j][k]
            queue[m].append(j)
            if ready[j] < qmin[m]:
                qmin[m] = ready[j]

    INF = float("inf")
    qmin: list[float] = [INF] * nm  # earliest ready time in each machine's queue
    for j in range(njobs):
        if j in p.bad_jobs:
            continue
        advance(j)

    has_deadlines = any(d is not None for ds in op_deadline for d in ds)
    pick = _picker(rule, p, nxt, ready, k_atc)

    # decision time of each machine: max(free, earliest ready in queue)
    machines = range(nm)
    while True:
        best_m, best_t = -1, INF
        for m in machines:
            r = qmin[m]
            t = m_free[m] if m_free[m] > r else r
            if t < best_t:
                best_t, best_m = t, m
        if best_m < 0:
            break
        m = best_m
        now = int(best_t)  # finite (a machine was found), so one of the integer times
        q = queue[m]
        if has_deadlines and any(op_deadline[j][nxt[j]] is not None for j in q if ready[j] <= now):
            chosen = min((op_deadline[j][nxt[j]], j) for j in q
                         if ready[j] <= now and op_deadline[j][nxt[j]] is not None)[1]
        else:
            chosen = pick(q, now)
        j = chosen
        q.remove(j)
        qmin[m] = min([ready[i] for i in q], default=INF)
        k = nxt[j]
        d = op_dur[j][k]
        t0 = ready[j] if ready[j] > m_free[m] else m_free[m]
        cands = op_staff[j][k]
        person: int | None = None
        mw = m_win[m]
        nmw = len(mw)
        if cands is None:
            start, mi = _fit_from(mw, nmw, m_ptr[m], t0, d)
        else:
            start, best_nsk, mi = None, 0, 0
            for c in cands:
                t = t0 if t0 > s_free[c] else s_free[c]
                if start is not None and t > start:
                    continue
                sw = s_win[c]
                nsw = len(sw)
                i_m, i_s = m_ptr[m], s_ptr[c]
                fit: int | None  # the earliest start in both the machine's and this person's hours
                while True:
                    tm, i_m = _fit_from(mw, nmw, i_m, t, d)
                    if tm is None:
                        fit = None
                        break
                    ts, i_s = _fit_from(sw, nsw, i_s, tm, d)
                    if ts is None or ts == tm:
                        fit = ts
                        break
                    t = ts
                if fit is not None and (start is None or fit < start or (fit == start and nsk[c] < best_nsk)):
                    start, best_nsk, person, mi, si = fit, nsk[c], c, i_m, i_s
            if person is not None:
                s_ptr[person] = si
        if start is not None:
            m_ptr[m] = mi
        dl = op_deadline[j][k]
        if start is None:
            give_up(j, k, f"{label(jobs[j], k)} does not fit in the working hours before the horizon ends")
            nxt[j] = len(op_dur[j])
            continue
        if dl is not None and start + d > dl:
            give_up(j, k, f"{label(jobs[j], k)} cannot finish before the locked operation after it starts")
            nxt[j] = len(op_dur[j])
            continue
        end = start + d
        m_free[m] = end
        if person is not None:
            s_free[person] = end
        out.append(Assignment(job_ids[j], k, start, end, machine_ids[m],
                              staff_ids[person] if person is not None else None))
        ready[j] = end
        nxt[j] = k + 1
        advance(j)
    return evaluate(p.problem, out, unscheduled, method=rule)


def fast_plan(problem: Problem, rules: tuple[str, ...] = RULES) -> Solution:
    """Every rule in ``rules``, the best by (weighted tardiness, makespan).

    ``stats`` holds each rule's weighted tardiness and makespan and the time taken."""
    t = time.perf_counter()
    p = prepare(problem)
    best: Solution | None = None
    per_rule: dict[str, tuple[int, int]] = {}
    for rule in rules:
        for name, k_atc in ((rule, 2.0),):
            sol = dispatch(p, rule, k_atc=k_atc)
            per_rule[name] = sol.objective
            if best is None or (len(sol.unscheduled), sol.objective) < (len(best.unscheduled), best.objective):
                best = Solution(sol.assignments, sol.weighted_tardiness, sol.makespan, sol.unscheduled,
                                name, sol.late_jobs)
    assert best is not None
    return Solution(best.assignments, best.weighted_tardiness, best.makespan, best.unscheduled, best.method,
                    best.late_jobs, {"rules": per_rule, "seconds": time.perf_counter() - t})
