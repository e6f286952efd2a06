"""Benchmarks: `make bench` (python -m bench) runs each and prints one line per figure."""
