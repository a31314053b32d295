"""Qt-free, database-free scheduling engine (issue 7).

- :mod:`app.scheduling.model` — the problem (jobs, operations, machines, staff, calendars) and
  the solution, as frozen dataclasses; time is integer minutes from the horizon start.
- :mod:`app.scheduling.rules` — dispatching rules and :func:`~app.scheduling.rules.fast_plan`.
- :mod:`app.scheduling.cpsat` — the CP-SAT improve step (OR-Tools imported lazily).
- :mod:`app.scheduling.validate` — checks a solution against its problem.
- :mod:`app.scheduling.instances` — deterministic generated instances for tests and the bench.
- :mod:`app.scheduling.jobshop` — OR-Library job-shop instances and a makespan solver.

Nothing here imports Qt, SQLAlchemy or OR-Tools at import time.
"""
