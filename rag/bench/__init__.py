"""Benchmarks on the evaluation-data format (see the README's Benchmark section)."""
