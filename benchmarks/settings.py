"""Settings of the in-process benchmarks: the development settings with DEBUG off, as
production runs. With DEBUG on, Django keeps the text of the last 9,000 statements on every
connection (each bulk statement carries arrays of 10,000 values): memory that production never
holds, and time spent copying it."""

from slaweb.settings.dev import *  # noqa: F403

DEBUG = False
