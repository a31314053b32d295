"""Improve a plan with OR-Tools CP-SAT (issue 7, item 3).

The model (built once per call, see :mod:`app.scheduling.cpsat_model`): one interval per free
operation, calendars and staff as ``NoOverlap`` with fixed breaks, locked operations fixed, and the
objective ``(H + 1) × Σ weight·tardiness + makespan``: weighted tardiness first, then makespan.

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
from typing import Any, Callable, Protocol

from app.scheduling.cpsat_model import CpsatModel
from app.scheduling.model import Problem, Solution
from app.scheduling.rules import fast_plan


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


#: progress(weighted tardiness, makespan, seconds since start)
Progress = Callable[[int, int, float], None]

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
    base = CpsatModel(problem, seed, full=not lns)
    if not base.ops:
        return Solution(seed.assignments, seed.weighted_tardiness, seed.makespan, seed.unscheduled, seed.method,
                        seed.late_jobs, {"seed": seed.objective, "iterations": 0})
    from ortools.sat.python import cp_model as cp  # imported already by CpsatModel

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
        assert isinstance(base.model, cp.CpModel), "full=True builds the whole CP-SAT model"
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
                cands = base.ops[i].cands
                assert cands is not None, "only an operation with candidates gets a choice of person"
                staff[i] = next(c for c, lit in zip(cands, ls) if solver.boolean_value(lit))
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
