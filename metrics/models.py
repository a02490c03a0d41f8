"""Measurement data (tickets, deliveries, outages, samples), clocks and compliance results.

Metric definitions are contract terms and live in agreements (agreements.models.metrics).
"""
