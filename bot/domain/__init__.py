"""Pure rules: the work calendar, dates, units, policy, status, progress, the reminder planner."""
