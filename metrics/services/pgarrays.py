"""Arrays as query parameters for set-based statements (INSERT ... SELECT FROM unnest)."""

from __future__ import annotations

import datetime as dt


def array_literal(values: list) -> str:
    """One PostgreSQL array literal ('{...}') for a column of the batch (all values of one
    type, or None). psycopg2 sends a list as ARRAY[v1, v2, ...], which the server parses and
    coerces element by element: about ten times slower for 10,000 values than array_in."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, dt.date):  # dates and datetimes: ISO 8601 needs no quoting
        body = ",".join("NULL" if v is None else v.isoformat() for v in values)
    elif isinstance(first, bool | int):
        body = ",".join("NULL" if v is None else str(v) for v in values)
    else:
        body = ",".join(
            "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in values
        )
    return "{" + body + "}"
