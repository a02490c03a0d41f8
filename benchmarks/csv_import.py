"""Benchmark: memory of the CSV import's parsing at two file sizes (no database writes).

    .venv/bin/python benchmarks/csv_import.py [--sizes 10000,100000]

The import (metrics.imports.run_import) holds the raw file (bytes) and one chunk of parsed
records at a time; this measures, with tracemalloc, the peak memory of streaming the whole
file through `_chunks` beside the size of the file itself and beside parsing every row into
one list (the floor a naive import would need). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

from metrics import imports  # noqa: E402
from metrics.models import ImportJob  # noqa: E402

HEADER = "agreement,external_id,priority,kind,category,opened_at,first_response_at,resolved_at\n"


def csv_bytes(rows: int) -> bytes:
    line = "SLA-2026-001,INC-{n},P2,incident,database,2026-03-02T09:00:00+08:00,2026-03-02T09:40:00+08:00,2026-03-02T15:00:00+08:00\n"
    return (HEADER + "".join(line.format(n=n) for n in range(rows))).encode()


def job_for(data: bytes) -> ImportJob:
    columns = HEADER.strip().split(",")
    return ImportJob(
        kind="tickets", encoding="utf-8", content=data, mapping={c: c for c in columns}
    )


def measure(rows: int) -> None:
    data = csv_bytes(rows)
    job = job_for(data)
    tracemalloc.start()
    started = time.perf_counter()
    seen = 0
    for chunk in imports._chunks(job):
        seen += len(chunk)
    streamed = tracemalloc.get_traced_memory()[1]
    seconds = time.perf_counter() - started
    tracemalloc.stop()
    tracemalloc.start()
    everything = [record for chunk in imports._chunks(job) for record in chunk]
    naive = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seen == rows == len(everything)
    mb = 1024 * 1024
    print(
        f"{rows:>8,} rows  file {len(data) / mb:6.1f} MB  streamed peak {streamed / mb:6.1f} MB"
        f"  all-in-a-list peak {naive / mb:7.1f} MB  ratio {naive / streamed:5.1f}x"
        f"  parse {rows / seconds:,.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        measure(size)


if __name__ == "__main__":
    main()
