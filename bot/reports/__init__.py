"""Read models: the coordinator's views, task cards, the weekly summary, its chart, the Excel report."""
