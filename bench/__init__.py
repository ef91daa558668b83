"""Benchmarks: `python -m bench` (the whole system), bench.dispatch, bench.queue_latency."""
