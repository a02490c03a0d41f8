"""See docs/decisions/010-reports.md; modules are imported by name."""
