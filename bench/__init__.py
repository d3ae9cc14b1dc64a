"""`make bench`: throughput against the network's bound, a sequential baseline, worker memory,
the API under load, and scaling over worker processes, all against the demo source on loopback.

`python -m bench --help` lists the flags; figures go to stdout and `bench/results/latest.json`.
"""
