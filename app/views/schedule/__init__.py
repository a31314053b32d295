"""The schedule tab: the plan on machines and staff as a Gantt chart, moves, locks, improve, publish."""
