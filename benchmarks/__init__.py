"""Benchmarks, run on demand (`python -m benchmarks.NAME`); their results are recorded in the
README, not asserted by tests."""
