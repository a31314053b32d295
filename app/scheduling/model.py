"""The scheduling problem and its solution, in integer minutes from the horizon start.

A :class:`Problem` holds jobs (orders), each a chain of :class:`Operation` s in routing order;
:class:`Machine` s and :class:`Staff` with working calendars given as sorted, disjoint
``[start, end)`` availability windows (``None`` = always available). An operation runs on one
machine and, when it names a ``skill``, with one staff member who has that skill; it may not be
split across a break: it must fit inside one window of its machine and one of its staff member.
A :class:`Lock` pins an operation's start, machine and staff member.

A :class:`Solution` gives every scheduled operation its start, end, machine and staff member,
the weighted tardiness ``sum(weight * max(0, completion - due))`` and the makespan; operations
that cannot be scheduled (bad input) are listed in ``unscheduled`` with a message naming the order
and the operation, and the rest is still scheduled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

Id = int | str
Window = tuple[int, int]

#: "available for ever" for resources without a calendar
OPEN_END = 10**12


@dataclass(frozen=True)
class Lock:
    """An operation pinned by a planner: it stays at ``start`` on ``machine`` with ``staff``."""

    start: int
    machine: Id
    staff: Id | None = None


@dataclass(frozen=True)
class Operation:
    machine: Id
    duration: int
    skill: str | None = None
    lock: Lock | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise ValueError("an operation's duration must be at least one minute")


@dataclass(frozen=True)
class Job:
    id: Id
    due: int
    operations: tuple[Operation, ...]
    weight: int = 1
    release: int = 0

    def __post_init__(self) -> None:
        if self.weight < 0:
            raise ValueError("a job's weight must not be negative")


@dataclass(frozen=True)
class Machine:
    id: Id
    windows: tuple[Window, ...] | None = None  # None: always available
    name: str = ""


@dataclass(frozen=True)
class Staff:
    id: Id
    skills: frozenset[str]
    windows: tuple[Window, ...] | None = None  # shifts; None: always available
    name: str = ""


@dataclass(frozen=True)
class Problem:
    jobs: tuple[Job, ...]
    machines: tuple[Machine, ...]
    staff: tuple[Staff, ...] = ()
    horizon: int | None = None  # nothing may end after it; None: unbounded

    @property
    def operation_count(self) -> int:
        return sum(len(j.operations) for j in self.jobs)

    def machine(self, mid: Id) -> Machine:
        for m in self.machines:
            if m.id == mid:
                return m
        raise KeyError(mid)

    def job(self, jid: Id) -> Job:
        for j in self.jobs:
            if j.id == jid:
                return j
        raise KeyError(jid)

    def with_locks(self, locks: dict[tuple[Id, int], Lock | None]) -> Problem:
        """A copy with ``locks[(job id, operation index)]`` set (``None`` removes a lock)."""
        jobs = []
        for j in self.jobs:
            ops = tuple(Operation(o.machine, o.duration, o.skill, locks.get((j.id, k), o.lock), o.name)
                        if (j.id, k) in locks else o for k, o in enumerate(j.operations))
            jobs.append(Job(j.id, j.due, ops, j.weight, j.release))
        return Problem(tuple(jobs), self.machines, self.staff, self.horizon)


@dataclass(frozen=True)
class Assignment:
    job: Id
    op: int  # index in the job's routing
    start: int
    end: int
    machine: Id
    staff: Id | None = None


@dataclass(frozen=True)
class Unscheduled:
    job: Id
    op: int
    reason: str


@dataclass(frozen=True)
class Solution:
    assignments: tuple[Assignment, ...]
    weighted_tardiness: int
    makespan: int
    unscheduled: tuple[Unscheduled, ...] = ()
    method: str = ""
    late_jobs: int = 0
    stats: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def objective(self) -> tuple[int, int]:
        """What is minimised, in order: weighted tardiness, then makespan."""
        return (self.weighted_tardiness, self.makespan)

    def by_op(self) -> dict[tuple[Id, int], Assignment]:
        return {(a.job, a.op): a for a in self.assignments}


def evaluate(problem: Problem, assignments: Iterable[Assignment],
             unscheduled: Iterable[Unscheduled] = (), method: str = "", stats: dict | None = None) -> Solution:
    """Build a :class:`Solution`, computing weighted tardiness and makespan from the assignments.

    A job counts towards tardiness only when all its operations are scheduled."""
    assignments = tuple(sorted(assignments, key=lambda a: (a.start, str(a.machine), a.end)))
    unscheduled = tuple(unscheduled)
    by_job: dict[Id, list[Assignment]] = {}
    for a in assignments:
        by_job.setdefault(a.job, []).append(a)
    wt = 0
    late = 0
    for j in problem.jobs:
        got = by_job.get(j.id, [])
        if len(got) != len(j.operations):
            continue
        done = max(a.end for a in got)
        if done > j.due:
            wt += j.weight * (done - j.due)
            late += 1
    makespan = max((a.end for a in assignments), default=0)
    return Solution(assignments, wt, makespan, unscheduled, method, late, dict(stats or {}))


def merge_windows(windows: Iterable[Window]) -> tuple[Window, ...]:
    """Sort and merge ``[start, end)`` windows, dropping empty ones."""
    out: list[list[int]] = []
    for s, e in sorted(w for w in windows if w[1] > w[0]):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def subtract(windows: tuple[Window, ...], busy: Iterable[Window]) -> tuple[Window, ...]:
    """``windows`` minus the ``busy`` intervals (both ``[start, end)``)."""
    busy = merge_windows(busy)
    if not busy:
        return windows
    out: list[Window] = []
    for s, e in windows:
        cur = s
        for bs, be in busy:
            if be <= cur or bs >= e:
                continue
            if bs > cur:
                out.append((cur, bs))
            cur = max(cur, be)
            if cur >= e:
                break
        if cur < e:
            out.append((cur, e))
    return tuple(out)


def gaps(windows: tuple[Window, ...] | None, horizon: int) -> list[Window]:
    """The complement of ``windows`` on ``[0, horizon)``: the breaks of a calendar."""
    if windows is None:
        return []
    out: list[Window] = []
    cur = 0
    for s, e in windows:
        if s > cur:
            out.append((cur, min(s, horizon)))
        cur = max(cur, e)
        if cur >= horizon:
            break
    if cur < horizon:
        out.append((cur, horizon))
    return [(s, e) for s, e in out if e > s]


def label(problem_job: Job, op_index: int) -> str:
    """'order 17, operation 2 (drill)' — how messages name an operation."""
    op = problem_job.operations[op_index]
    extra = f" ({op.name})" if op.name else ""
    return f"order {problem_job.id}, operation {op_index + 1}{extra}"
