"""minplus benchmarks: pytest-benchmark suites (bench_*.py) and one-run ratio scripts (compare*.py)."""
