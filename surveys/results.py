"""Placeholder, filled below."""


def push_satisfaction_samples(round_id: int) -> int:
    return 0
