"""Benchmarks of the real bot against the local Bot API simulator: `python -m benchmarks` (see `__main__`).

One module per concern: `harness` (deployments, the running bot, waiting), `report` (figures, table, JSON),
`fanout` (scenarios 1 and 2), `answers` with `baseline_bot` (scenario 3), `digest` (scenario 4), `footprint`
(scenario 5); scenario 6 reuses the fan-out and the digest at growing sizes. docs/benchmarks.md records the results.
"""
