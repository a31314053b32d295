"""The scheduling engine: dispatching rules, calendars, staff, locks, validation and CP-SAT."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scheduling.cpsat import improve, improve_in_process
from app.scheduling.instances import generate
from app.scheduling.model import Assignment, Job, Lock, Machine, Operation, Problem, Solution, Staff, evaluate
from app.scheduling.rules import ALL_RULES, dispatch, fast_plan
from app.scheduling.validate import violations


def order_on(sol: Solution, machine: object) -> list[object]:
    return [a.job for a in sorted(sol.assignments, key=lambda a: a.start) if a.machine == machine]


def one_machine(*jobs: tuple[str, int, int]) -> Problem:
    """jobs: (id, duration, due) single operations on machine A."""
    return Problem(tuple(Job(j, due, (Operation("A", d),)) for j, d, due in jobs), (Machine("A"),))


# -- each rule's ordering on tiny hand-made instances ------------------------------------------

def test_edd_takes_the_earliest_due_date_first() -> None:
    p = one_machine(("x", 10, 30), ("y", 10, 10), ("z", 10, 20))
    assert order_on(dispatch(p, "edd"), "A") == ["y", "z", "x"]


def test_critical_ratio_differs_from_edd() -> None:
    # P: (40 − 0) / 10 = 4, Q: (60 − 0) / 50 = 1.2 → CR takes Q first, EDD takes P first
    p = one_machine(("P", 10, 40), ("Q", 50, 60))
    assert order_on(dispatch(p, "cr"), "A") == ["Q", "P"]
    assert order_on(dispatch(p, "edd"), "A") == ["P", "Q"]


def test_slack_per_remaining_operation() -> None:
    # P: slack 40 − 10 = 30 over 1 op = 30; Q: 100 − 30 = 70 over 3 ops ≈ 23 → Q first
    p = Problem((Job("P", 40, (Operation("A", 10),)),
                 Job("Q", 100, (Operation("A", 10), Operation("B", 10), Operation("C", 10)))),
                (Machine("A"), Machine("B"), Machine("C")))
    assert order_on(dispatch(p, "slack_per_op"), "A") == ["Q", "P"]
    assert order_on(dispatch(p, "edd"), "A") == ["P", "Q"]


def test_most_work_remaining() -> None:
    p = Problem((Job("short", 0, (Operation("A", 10),)),
                 Job("long", 1000, (Operation("A", 10), Operation("B", 50)))), (Machine("A"), Machine("B")))
    assert order_on(dispatch(p, "mwkr"), "A") == ["long", "short"]
    assert order_on(dispatch(p, "edd"), "A") == ["short", "long"]


def test_spt_and_weighted_spt() -> None:
    p = Problem((Job("a", 0, (Operation("A", 30),), weight=5), Job("b", 0, (Operation("A", 10),), weight=1)),
                (Machine("A"),))
    assert order_on(dispatch(p, "spt"), "A") == ["b", "a"]
    assert order_on(dispatch(p, "wspt"), "A") == ["a", "b"]  # 5/30 > 1/10


def test_fast_plan_keeps_the_best_rule() -> None:
    p = generate(orders=30, ops=4, machines=5, seed=3)
    best = fast_plan(p)
    per_rule = best.stats["rules"]
    assert best.objective == min(per_rule.values())
    assert per_rule[best.method] == best.objective
    assert violations(p, best) == []


def test_weighted_tardiness_and_makespan_are_computed() -> None:
    p = one_machine(("x", 10, 5), ("y", 10, 100))
    sol = dispatch(p, "edd")  # x 0–10 (5 late), y 10–20
    assert (sol.weighted_tardiness, sol.makespan, sol.late_jobs) == (5, 20, 1)


# -- calendars, skills, shifts -----------------------------------------------------------------

def test_operation_waits_for_a_machine_window_and_is_not_split() -> None:
    p = Problem((Job("j", 0, (Operation("A", 90),)),), (Machine("A", ((0, 60), (120, 300))),))
    sol = dispatch(p, "edd")
    assert [(a.start, a.end) for a in sol.assignments] == [(120, 210)]


def test_staff_with_the_skill_on_shift_for_the_whole_operation() -> None:
    staff = (Staff("novice", frozenset({"cut"})),  # always there, wrong skill
             Staff("welder", frozenset({"weld"}), ((100, 130), (140, 300))))
    p = Problem((Job("j", 0, (Operation("A", 60, skill="weld"),)),), (Machine("A"),), staff)
    (a,) = dispatch(p, "edd").assignments
    assert (a.start, a.staff) == (140, "welder")  # 100–130 is too short: no split across the break


def test_one_person_cannot_run_two_machines_at_once() -> None:
    staff = (Staff("w", frozenset({"weld"})),)
    p = Problem((Job("a", 0, (Operation("A", 30, skill="weld"),)), Job("b", 0, (Operation("B", 30, skill="weld"),))),
                (Machine("A"), Machine("B")), staff)
    sol = dispatch(p, "edd")
    assert sorted((a.start, a.end) for a in sol.assignments) == [(0, 30), (30, 60)]
    assert violations(p, sol) == []


def test_precedence_and_release() -> None:
    p = Problem((Job("j", 0, (Operation("A", 10), Operation("B", 10), Operation("A", 5)), release=7),),
                (Machine("A"), Machine("B")))
    got = {a.op: (a.start, a.end) for a in dispatch(p, "edd").assignments}
    assert got == {0: (7, 17), 1: (17, 27), 2: (27, 32)}


# -- locks and bad input -------------------------------------------------------------------------

def test_locked_operation_stays_put_and_others_work_around_it() -> None:
    p = Problem((Job("locked", 0, (Operation("A", 50, lock=Lock(20, "A")),)),
                 Job("j1", 0, (Operation("A", 30),)), Job("j2", 0, (Operation("A", 15),))), (Machine("A"),))
    for rule in ALL_RULES:
        sol = dispatch(p, rule)
        got = sol.by_op()
        assert (got[("locked", 0)].start, got[("locked", 0)].end) == (20, 70)
        assert violations(p, sol) == [], rule
    assert dispatch(p, "spt").by_op()[("j2", 0)].start == 0  # 15 min fits before the lock


def test_lock_on_another_machine_and_operations_before_it_finish_in_time() -> None:
    p = Problem((Job("j", 0, (Operation("A", 10), Operation("A", 10, lock=Lock(100, "B")), Operation("A", 10))),
                 Job("k", 0, (Operation("A", 500),))), (Machine("A"), Machine("B")))
    sol = dispatch(p, "spt")
    got = sol.by_op()
    assert got[("j", 1)].machine == "B" and got[("j", 1)].start == 100
    assert got[("j", 0)].end <= 100 and got[("j", 2)].start >= 110
    assert violations(p, sol) == []


def test_skill_nobody_has_is_reported_and_the_rest_is_scheduled() -> None:
    p = Problem((Job(17, 0, (Operation("A", 10, skill="laser", name="engrave"),)),
                 Job(18, 0, (Operation("A", 10),))), (Machine("A"),), (Staff("w", frozenset({"weld"})),))
    sol = fast_plan(p)
    assert [a.job for a in sol.assignments] == [18]
    (u,) = sol.unscheduled
    assert "order 17" in u.reason and "operation 1" in u.reason and "laser" in u.reason
    assert violations(p, sol) == []


def test_machine_without_working_hours_and_overlapping_locks_are_reported() -> None:
    p = Problem((Job("a", 0, (Operation("X", 10),)),
                 Job("b", 0, (Operation("A", 30, lock=Lock(0, "A")),)),
                 Job("c", 0, (Operation("A", 30, lock=Lock(10, "A")),)),
                 Job("d", 0, (Operation("A", 5),))), (Machine("A"), Machine("X", ())))
    sol = fast_plan(p)
    reasons = {u.job: u.reason for u in sol.unscheduled}
    assert "no working hours" in reasons["a"]
    assert "locked over order b" in reasons["c"]
    assert {a.job for a in sol.assignments} == {"b", "d"}
    assert violations(p, sol) == []


# -- validation catches what it should -----------------------------------------------------------

def test_validate_finds_overlap_precedence_skill_and_calendar_errors() -> None:
    p = Problem((Job("a", 0, (Operation("A", 10), Operation("B", 10, skill="weld"))),
                 Job("b", 0, (Operation("A", 10),))),
                (Machine("A"), Machine("B", ((0, 100),))), (Staff("cutter", frozenset({"cut"})),))
    bad = evaluate(p, [Assignment("a", 0, 0, 10, "A"), Assignment("a", 1, 5, 15, "B", "cutter"),
                       Assignment("b", 0, 5, 15, "A")])
    text = " | ".join(violations(p, bad))
    assert "starts before operation 1 ends" in text
    assert "does not have the skill 'weld'" in text
    assert "overlaps" in text
    late = evaluate(p, [Assignment("a", 0, 0, 10, "A"), Assignment("a", 1, 95, 105, "B", "cutter"),
                        Assignment("b", 0, 10, 20, "A")])
    assert any("working hours" in v for v in violations(p, late))


# -- invariants on random instances --------------------------------------------------------------

@st.composite
def problems(draw: st.DrawFn) -> Problem:
    nm = draw(st.integers(1, 3))
    machines = []
    for m in range(nm):
        if draw(st.booleans()):
            machines.append(Machine(m, ((0, 200), (260, 600), (700, 5000))))
        else:
            machines.append(Machine(m))
    skills = ["s0", "s1"]
    staff = tuple(Staff(f"p{i}", frozenset(draw(st.sets(st.sampled_from(skills), min_size=1))),
                        ((0, 150), (180, 5000)) if draw(st.booleans()) else None)
                  for i in range(draw(st.integers(0, 3))))
    jobs = []
    for j in range(draw(st.integers(1, 6))):
        ops = []
        for k in range(draw(st.integers(1, 4))):
            lock = None
            if draw(st.integers(0, 9)) == 0:
                lock = Lock(draw(st.integers(0, 400)), draw(st.integers(0, nm - 1)),
                            draw(st.sampled_from([s.id for s in staff])) if staff else None)
            ops.append(Operation(draw(st.integers(0, nm - 1)), draw(st.integers(1, 90)),
                                 draw(st.sampled_from([None, "s0", "s1"])), lock))
        jobs.append(Job(j, draw(st.integers(0, 600)), tuple(ops), draw(st.integers(0, 5)),
                        draw(st.integers(0, 100))))
    return Problem(tuple(jobs), tuple(machines), staff)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_rule_gives_a_feasible_plan_or_names_what_it_could_not_place(p: Problem) -> None:
    for rule in ALL_RULES:
        sol = dispatch(p, rule)
        assert violations(p, sol) == [], rule
        placed = {(a.job, a.op) for a in sol.assignments} | {(u.job, u.op) for u in sol.unscheduled}
        assert placed == {(j.id, k) for j in p.jobs for k in range(len(j.operations))}
        for u in sol.unscheduled:
            assert f"order {u.job}" in u.reason or "not scheduled" in u.reason


# -- CP-SAT ------------------------------------------------------------------------------------

def test_cpsat_is_never_worse_than_its_seed_and_keeps_locks() -> None:
    base = generate(orders=25, ops=4, machines=4, seed=11)
    seed0 = fast_plan(base)
    a = seed0.assignments[len(seed0.assignments) // 2]
    p = base.with_locks({(a.job, a.op): Lock(a.start, a.machine, a.staff)})
    seed = fast_plan(p)
    for lns in (True, False):
        sol = improve(p, seed, seconds=1.5, lns=lns)
        assert violations(p, sol) == []
        assert sol.objective <= seed.objective
        got = sol.by_op()[(a.job, a.op)]
        assert (got.start, got.machine, got.staff) == (a.start, a.machine, a.staff)


def test_cpsat_large_neighbourhoods_keep_every_rule_and_the_locks() -> None:
    # big enough that the sub-models are searched by CP-SAT's neighbourhood search only
    base = generate(orders=60, ops=4, machines=5, seed=3)
    seed0 = fast_plan(base)
    a = seed0.assignments[len(seed0.assignments) // 3]
    p = base.with_locks({(a.job, a.op): Lock(a.start, a.machine, a.staff)})
    seed = fast_plan(p)
    sol = improve(p, seed, seconds=1.0)
    assert sol.stats["lns_only_steps"] > 0
    assert violations(p, sol) == []
    assert sol.objective <= seed.objective
    got = sol.by_op()[(a.job, a.op)]
    assert (got.start, got.machine, got.staff) == (a.start, a.machine, a.staff)


def tight(p: Problem) -> Problem:
    """Every order due at its release: weighted tardiness = weighted flow time, never zero."""
    return Problem(tuple(dataclasses.replace(j, due=j.release) for j in p.jobs), p.machines, p.staff, p.horizon)


def test_cpsat_improves_a_poor_seed_and_reports_progress() -> None:
    p = tight(generate(orders=20, ops=3, machines=3, seed=5, staff=False, calendars=False))
    seed = dispatch(p, "mwkr")  # a deliberately poor plan
    seen: list[tuple[int, int]] = []
    sol = improve(p, seed, seconds=2.0, progress=lambda wt, cm, s: seen.append((wt, cm)))
    assert violations(p, sol) == []
    assert sol.weighted_tardiness < seed.weighted_tardiness
    assert seen and seen[-1] == sol.objective


def test_cancel_returns_the_best_plan_so_far() -> None:
    p = generate(orders=30, ops=4, machines=4, seed=2)
    seed = fast_plan(p)
    flag = threading.Event()
    flag.set()
    sol = improve(p, seed, seconds=30, cancel=flag)
    assert sol.objective == seed.objective and sol.stats["cancelled"]
    assert violations(p, sol) == []


def test_improve_in_a_background_process_with_progress_and_cancel() -> None:
    p = tight(generate(orders=20, ops=3, machines=3, seed=5, staff=False, calendars=False))
    seed = dispatch(p, "mwkr")
    flag = threading.Event()
    seen: list[tuple[int, int, float]] = []

    def progress(wt: int, cm: int, s: float) -> None:
        seen.append((wt, cm, s))
        flag.set()  # cancel after the first improvement

    sol = improve_in_process(p, seed, seconds=20, progress=progress, cancel=flag)
    assert "error" not in sol.stats
    assert seen and sol.objective <= seed.objective
    assert sol.stats.get("seconds", 99) < 15  # stopped early: the cancel reached the process
    assert violations(p, sol) == []


def test_scheduling_package_imports_neither_qt_nor_sqlalchemy_nor_ortools_at_import() -> None:
    import subprocess
    import sys

    code = ("import sys, app.scheduling.model, app.scheduling.rules, app.scheduling.cpsat, "
            "app.scheduling.validate, app.scheduling.instances, app.scheduling.jobshop\n"
            "print(','.join(n for n in ('PySide6', 'sqlalchemy', 'ortools') if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("rule", ["nonsense"])
def test_unknown_rule_is_refused(rule: str) -> None:
    with pytest.raises(ValueError):
        dispatch(one_machine(("x", 1, 1)), rule)
