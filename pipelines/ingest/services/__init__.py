"""Writes for the pipelines app, one module per concept (webhooks, runs, junit,
perf, plans, idempotency)."""
