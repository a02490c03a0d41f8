"""Writes of the metrics domain (atomic, set-based)."""
