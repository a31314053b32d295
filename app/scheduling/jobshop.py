"""Plain job-shop instances in the OR-Library format, solved for minimum makespan (issue 7, item 4).

The file ``jobshop1.txt`` holds many instances, each introduced by a line ``instance NAME``,
a description line, then ``jobs machines`` and one line per job of ``machine duration`` pairs
(machines numbered from 0). Lines of ``+`` separate instances.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from app.scheduling.model import Job, Machine, Operation, Problem


@dataclass(frozen=True)
class JobShop:
    name: str
    jobs: int
    machines: int
    routes: tuple[tuple[tuple[int, int], ...], ...]  # per job: (machine, duration) in order
    description: str = ""

    def to_problem(self) -> Problem:
        """The same instance as an engine problem (due dates 0, so tardiness = completion)."""
        return Problem(tuple(Job(j, 0, tuple(Operation(m, d) for m, d in r)) for j, r in enumerate(self.routes)),
                       tuple(Machine(m) for m in range(self.machines)))


@dataclass(frozen=True)
class JobShopResult:
    name: str
    makespan: int
    lower_bound: int
    optimal: bool
    seconds: float
    starts: tuple[tuple[int, ...], ...]


def parse(text: str) -> dict[str, JobShop]:
    """Every instance in an OR-Library job-shop file, by name."""
    lines = text.splitlines()
    out: dict[str, JobShop] = {}
    i = 0
    while i < len(lines):
        words = lines[i].split()
        if len(words) == 2 and words[0] == "instance":
            name = words[1]
            i += 1
            desc = ""
            # description lines until the "jobs machines" line
            while i < len(lines):
                w = lines[i].split()
                if len(w) == 2 and all(x.isdigit() for x in w):
                    break
                if w and not set(lines[i].strip()) <= {"+"}:
                    desc = (desc + " " + lines[i].strip()).strip()
                i += 1
            n, m = (int(x) for x in lines[i].split())
            i += 1
            routes: list[tuple[tuple[int, int], ...]] = []
            while len(routes) < n:
                nums = [int(x) for x in lines[i].split()]
                i += 1
                if not nums:
                    continue
                if len(nums) != 2 * m:
                    raise ValueError(f"instance {name}: job {len(routes)} has {len(nums) // 2} operations, not {m}")
                routes.append(tuple((nums[2 * k], nums[2 * k + 1]) for k in range(m)))
            out[name] = JobShop(name, n, m, tuple(routes), desc)
            continue
        i += 1
    return out


def load(path: str | Path) -> dict[str, JobShop]:
    return parse(Path(path).read_text(encoding="utf-8"))


def read_optima(path: str | Path) -> dict[str, int]:
    """``optima.tsv``: instance, jobs, machines, optimum (tab-separated, # comments)."""
    out: dict[str, int] = {}
    p = Path(path)
    if not p.exists():
        return out
    for line in p.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) >= 4 and cols[3].strip().isdigit():
            out[cols[0].strip()] = int(cols[3])
    return out


def lower_bound(js: JobShop) -> int:
    """max(longest job, busiest machine)."""
    jobs = max(sum(d for _, d in r) for r in js.routes)
    load: dict[int, int] = {}
    for r in js.routes:
        for m, d in r:
            load[m] = load.get(m, 0) + d
    return max(jobs, max(load.values()))


def solve(js: JobShop, seconds: float = 10.0, workers: int = 2, random_seed: int = 0) -> JobShopResult:
    """Minimum makespan with CP-SAT, seeded with the best dispatching-rule schedule."""
    from ortools.sat.python import cp_model

    from app.scheduling.rules import dispatch, prepare

    t0 = time.perf_counter()
    prob = js.to_problem()
    p = prepare(prob)
    seed = min((dispatch(p, r) for r in ("mwkr", "spt", "edd")), key=lambda s: s.makespan)
    seed_by = seed.by_op()
    horizon = seed.makespan
    lb = lower_bound(js)
    m = cp_model.CpModel()
    starts: list[list[cp_model.IntVar]] = []
    per_machine: dict[int, list] = {}
    cmax = m.new_int_var(lb, horizon, "cmax")
    for j, route in enumerate(js.routes):
        row: list[cp_model.IntVar] = []
        head = 0
        total = sum(d for _, d in route)
        for k, (mach, d) in enumerate(route):
            s = m.new_int_var(head, horizon - (total - head), f"s{j}_{k}")
            head += d
            per_machine.setdefault(mach, []).append(m.new_fixed_size_interval_var(s, d, ""))
            if row:
                m.add(s >= row[-1] + route[k - 1][1])
            row.append(s)
            m.add_hint(s, seed_by[(j, k)].start)
        m.add(cmax >= row[-1] + route[-1][1])
        starts.append(row)
    m.add_hint(cmax, seed.makespan)
    for ivs in per_machine.values():
        m.add_no_overlap(ivs)
    m.minimize(cmax)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds - (time.perf_counter() - t0))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = random_seed
    status = solver.solve(m)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        ms = int(solver.objective_value)
        st = tuple(tuple(solver.value(s) for s in row) for row in starts)
    else:  # no better plan found in time: the seed
        ms = seed.makespan
        st = tuple(tuple(seed_by[(j, k)].start for k in range(js.machines)) for j in range(js.jobs))
    return JobShopResult(js.name, ms, max(lb, int(solver.best_objective_bound)), status == cp_model.OPTIMAL,
                         time.perf_counter() - t0, st)
