"""Deterministic generated instances that look like a small shop's order book (tests and bench).

``generate(orders=200, ops=5, machines=10)`` gives a two-shift shop (06:00–22:00 on weekdays for
machines; an early and a late shift for people, each with a 30-minute break), operators with one to
three skills each, some unattended operations (no skill), releases over the first days and due
dates tight enough that a fair share of orders are late under any dispatching rule, so weighted
tardiness is meaningful. Weights are 1, 2, 3 or 5 (priority classes).
"""

from __future__ import annotations

import random

from app.scheduling.model import Job, Machine, Operation, Problem, Staff, Window

DAY = 24 * 60
WEEK = 7 * DAY


def weekday_windows(days: int, start_h: float, end_h: float, breaks: tuple[tuple[float, float], ...] = ()
                    ) -> tuple[Window, ...]:
    """Windows on Monday–Friday of ``days`` days from a Monday 00:00, minus breaks (hours)."""
    out: list[Window] = []
    for d in range(days):
        if d % 7 >= 5:
            continue
        cur = d * DAY + int(start_h * 60)
        for bs, be in breaks:
            out.append((cur, d * DAY + int(bs * 60)))
            cur = d * DAY + int(be * 60)
        out.append((cur, d * DAY + int(end_h * 60)))
    return tuple(out)


def generate(orders: int = 200, ops: int = 5, machines: int = 10, *, seed: int = 1, staff: bool = True,
             calendars: bool = True, tightness: float = 0.9, weeks: int = 8) -> Problem:
    """A reproducible instance; ``tightness`` < 1 makes due dates tighter than the shop's load."""
    rng = random.Random(seed)
    horizon = weeks * WEEK
    mcal = weekday_windows(weeks * 7, 6, 22) if calendars else None
    skills = [f"skill{m}" for m in range(machines)]
    ms = tuple(Machine(f"M{m + 1}", mcal, name=f"machine {m + 1}") for m in range(machines))
    people: list[Staff] = []
    if staff:
        early = weekday_windows(weeks * 7, 6, 14, ((10, 10.5),)) if calendars else None
        late = weekday_windows(weeks * 7, 14, 22, ((18, 18.5),)) if calendars else None
        for i in range(machines * 2):
            own = {skills[i % machines]}
            while len(own) < rng.choice((1, 2, 2, 3)):
                own.add(rng.choice(skills))
            people.append(Staff(f"P{i + 1}", frozenset(own), early if i < machines else late, name=f"person {i + 1}"))
    # work per job and releases spread over the first week
    jobs: list[Job] = []
    spec = []
    for j in range(orders):
        route = rng.sample(range(machines), min(ops, machines)) if ops <= machines else \
            [rng.randrange(machines) for _ in range(ops)]
        durs = [rng.choice((20, 30, 45, 60, 60, 90, 120, 150, 180)) for _ in route]
        release = rng.randrange(0, 3 * DAY) // 60 * 60
        spec.append((route, durs, release))
    total = sum(sum(d) for _, d, _ in spec)
    # the span the shop needs for the whole book, in calendar minutes (16 h a day, 5 days a week)
    per_machine = total / machines
    span = per_machine * (DAY / (16 * 60)) * (7 / 5) if calendars else per_machine
    for j, (route, durs, release) in enumerate(spec):
        own_span = sum(durs) * ((DAY / (16 * 60)) if calendars else 1)
        due = int(release + own_span * 2 + rng.uniform(0.15, 1.0) * span * tightness)
        ops_ = tuple(Operation(ms[m].id, d, None if (not staff or rng.random() < 0.2) else skills[m],
                               name=f"op{k + 1}") for k, (m, d) in enumerate(zip(route, durs)))
        jobs.append(Job(1000 + j, due, ops_, weight=rng.choice((1, 1, 1, 2, 2, 3, 5)), release=release))
    return Problem(tuple(jobs), ms, tuple(people), horizon)
