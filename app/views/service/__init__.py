"""Service tab: jobs, technicians calendar, debriefs, product feedback."""
