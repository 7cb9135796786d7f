"""`faultline chaos`: experiments that break the running stack on purpose and end in a verdict.

An experiment (YAML in infra/chaos/experiments/) states a steady-state hypothesis, a method (faults with durations)
and rollbacks. The runner checks the hypothesis before (abort when it does not hold), during each fault (with the
tolerance the experiment declares) and after (how long until it holds again), then judges `faultline verify`'s
invariants and the orders its own traffic placed. Each run writes reports/chaos/<timestamp>-<name>/.
"""
