"""Choice sets of measurement (metric definitions' choices are in agreements.choices)."""
