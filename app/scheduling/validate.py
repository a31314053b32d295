"""Check a solution against its problem (tests, the improve step, and drag-and-drop on the Gantt).

:func:`violations` returns plain-language messages, each naming the order and the operation;
an empty list means the solution is feasible: every scheduled operation has the right duration,
starts after its order's release and after its predecessor ends, fits in one window of its
machine's calendar and of its staff member's shifts, uses a staff member with the skill, overlaps
no other operation on the same machine or staff member, ends by the horizon, and a locked
operation sits exactly where it is locked. Operations listed as unscheduled are not errors, but an
operation neither scheduled nor listed is.
"""

from __future__ import annotations

from app.scheduling.model import Assignment, Id, Problem, Solution, label


def _inside(windows: tuple[tuple[int, int], ...] | None, start: int, end: int) -> bool:
    return windows is None or any(s <= start and end <= e for s, e in windows)


def violations(problem: Problem, solution: Solution, *, limit: int = 100) -> list[str]:
    out: list[str] = []
    machines = {m.id: m for m in problem.machines}
    staff = {s.id: s for s in problem.staff}
    got = solution.by_op()
    listed = {(u.job, u.op) for u in solution.unscheduled}
    if len(got) != len(solution.assignments):
        out.append("an operation is scheduled twice")
    known = {(j.id, k) for j in problem.jobs for k in range(len(j.operations))}
    for key in got:
        if key not in known:
            out.append(f"order {key[0]}, operation {key[1] + 1} is not in the problem")
    for job in problem.jobs:
        prev: Assignment | None = None
        for k, op in enumerate(job.operations):
            where = label(job, k)
            a = got.get((job.id, k))
            if a is None:
                if (job.id, k) not in listed:
                    out.append(f"{where} is missing")
                prev = None
                continue
            if a.end - a.start != op.duration:
                out.append(f"{where} lasts {a.end - a.start} min instead of {op.duration}")
            if a.start < job.release:
                out.append(f"{where} starts before its order is released")
            if prev is not None and a.start < prev.end:
                out.append(f"{where} starts before operation {k} ends")
            if problem.horizon is not None and a.end > problem.horizon:
                out.append(f"{where} ends after the horizon")
            lk = op.lock
            if lk is not None and (a.start != lk.start or a.machine != lk.machine
                                   or (lk.staff is not None and a.staff != lk.staff)):
                out.append(f"{where} moved away from its lock")
            m = machines.get(a.machine)
            if m is None:
                out.append(f"{where} is on unknown machine {a.machine}")
            else:
                if a.machine != op.machine and (lk is None or lk.machine != a.machine):
                    out.append(f"{where} is on machine {a.machine} instead of {op.machine}")
                if not _inside(m.windows, a.start, a.end):
                    out.append(f"{where} is outside the working hours of machine {a.machine}")
            if op.skill is not None:
                p = staff.get(a.staff) if a.staff is not None else None
                if p is None:
                    out.append(f"{where} has no staff member with the skill '{op.skill}'")
                else:
                    if op.skill not in p.skills:
                        out.append(f"{where}: {a.staff} does not have the skill '{op.skill}'")
                    if not _inside(p.windows, a.start, a.end):
                        out.append(f"{where} is outside the shifts of {a.staff}")
            elif a.staff is not None:
                p = staff.get(a.staff)
                if p is None:
                    out.append(f"{where} names unknown staff member {a.staff}")
                elif not _inside(p.windows, a.start, a.end):
                    out.append(f"{where} is outside the shifts of {a.staff}")
            prev = a
    for what, res in (("machine", lambda a: a.machine), ("staff member", lambda a: a.staff)):
        by: dict[Id, list[Assignment]] = {}
        for a in solution.assignments:
            r = res(a)
            if r is not None:
                by.setdefault(r, []).append(a)
        for r, items in by.items():
            items.sort(key=lambda a: (a.start, a.end))
            for x, y in zip(items, items[1:]):
                if y.start < x.end:
                    out.append(f"{what} {r}: order {x.job}, operation {x.op + 1} overlaps "
                               f"order {y.job}, operation {y.op + 1}")
    return out[:limit]


def is_feasible(problem: Problem, solution: Solution) -> bool:
    return not violations(problem, solution, limit=1)
