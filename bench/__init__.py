"""Benchmarks: scripts that build their own data and print figures (see bench/README.md)."""
