"""The report: figures and summary.md from a finished run, and the plot's binning. No stack needed."""
from pathlib import Path

from faultline_ops.chaos import experiment
from faultline_ops.chaos.hypothesis import CheckResult
from faultline_ops.chaos.plot import per_second, timeline_png
from faultline_ops.chaos.report import figures, runs_table, summary_markdown
from faultline_ops.chaos.runner import RunResult, StepOutcome
from faultline_ops.chaos.timeline import Flow, Pending, Request, Settled, Window
from faultline_ops.verify import Check

EXPERIMENT = experiment.parse({
    "name": "kill-kafka", "title": "Kafka down", "expect": "Checkouts keep succeeding.",
    "steady_state": {"window_s": 3, "checks": {"checkout_success": {"min": 0.99}}},
    "method": [{"action": "stop", "target": {"program": "kafka"}, "duration_s": 5}]}, short=True)


def finished_run(**overrides) -> RunResult:
    result = RunResult(EXPERIMENT, "local", "2026-11-26T23:00:00+00:00")
    for i in range(40):
        t = i * 0.5
        ok = not 6 <= t < 7
        result.timeline.add(Request(t, "checkout", "202" if ok else "503", 20.0, ok))
        result.timeline.add(Flow(t, f"key-{i}", ok, f"order-{i}" if ok else None, 1, "202" if ok else "503"))
        if ok:   # each order terminal 2 s after it was placed
            result.timeline.add(Settled(t + 2.0, f"order-{i}"))
        result.timeline.add(Pending(t, 4 if 4 <= t < 11 else 1))
    passed = [CheckResult("checkout_success", True, "100.0%", ">= 0.99", 6)]
    step = StepOutcome(EXPERIMENT.method[0], "SIGKILL kafka", Window(4, 9, "Kafka down"), Window(4, 9, "Kafka down"),
                       [CheckResult("checkout_success", True, "99.0%", ">= 0.99", 10)], 2.5)
    result.timeline.faults.append(step.fault)
    result.before, result.steps, result.after = passed, [step], passed
    result.fault_end, result.recovery_s = 9.0, 1.5
    result.verify_checks = [Check("every accepted order is terminal", True, "38 orders")]
    result.accepted = {f"key-{i}": f"order-{i}" for i in range(38)}
    result.duration_s = 20.0
    for key, value in overrides.items():
        setattr(result, key, value)
    return result


def test_a_run_passes_only_when_every_phase_and_the_invariants_hold():
    assert finished_run().verdict == "PASS"
    assert finished_run(lost=["order-3"]).verdict == "FAIL"
    assert finished_run(recovery_s=None).verdict == "FAIL"
    assert finished_run(aborted="steady state does not hold").verdict == "ABORTED"


def test_figures_count_failed_requests_by_status_and_orders_lost_or_duplicated():
    numbers = figures(finished_run(duplicated=["key-1"]))
    assert numbers["failed_by_status"] == {"checkout": {"503": 2}}
    assert numbers["failed_checkouts"] == 2 and numbers["checkouts"] == 40
    assert numbers["orders_lost"] == 0 and numbers["orders_duplicated"] == 1
    assert numbers["recovery_s"] == 1.5


def test_figures_say_how_soon_after_the_lift_a_checkout_succeeded_and_the_faults_backlog_drained():
    numbers = figures(finished_run())
    assert numbers["first_success_s"] == 0.0              # checkouts at 9.0 s succeed: the fault ends at 9.0 s
    assert numbers["backlog_orders"] == 12               # placed 2.0-8.5 s, minus the two failed at 6.0 and 6.5 s
    assert numbers["backlog_drained_s"] == 1.5           # the last of them (8.5 s) terminal at 10.5 s
    assert numbers["pending_max"] == 4
    assert numbers["target_ready_s"] == 2.5               # Kafka answered 2.5 s after it was started again


def test_summary_shows_the_verdict_each_phase_recovery_and_what_the_user_should_see():
    text = summary_markdown(finished_run())
    assert text.startswith("# Chaos experiment `kill-kafka`: PASS")
    assert "**What you should see.** Checkouts keep succeeding." in text
    assert "| during: stop kafka | 4.0–9.0 s | checkout_success | >= 0.99 | 99.0% | PASS |" in text
    assert "| recovery time (fault lifted → steady state holds) | 1.5 s |" in text
    assert "| checkout | 503 | 2 |" in text
    assert "| orders lost | 0 |" in text
    assert "| first success after the fault (fault lifted → a checkout answered 202) | 0.0 s |" in text
    assert ("| backlog drained (fault lifted → no order accepted during the fault still PENDING) | 1.5 s (12 orders) |"
            in text)
    assert "| pending orders (most at one time) | 4 |" in text


def test_the_table_across_runs_has_one_row_per_experiment_with_its_recovery_figures():
    passed = figures(finished_run())
    never = {**figures(finished_run(recovery_s=None)), "experiment": "kill-replica", "backlog_drained_s": None}
    lines = runs_table([passed, never]).splitlines()
    assert lines[0].startswith("| experiment | verdict | checkouts (failed) |") and len(lines) == 4
    assert lines[2] == ("| kill-kafka (short) | PASS | 40 (2) | 2 | 2.5 s | 1.5 s | 0.0 s | 0.0 s | 1.5 s (12) | 4 | 0 "
                        "| 0 |")   # steady before the probe saw the target ready: 0 after it
    assert lines[3] == ("| kill-replica (short) | FAIL | 40 (2) | 2 | 2.5 s | never | n/a | 0.0 s | never (12) | 4 "
                        "| 0 | 0 |")


def test_an_aborted_run_says_no_fault_was_injected():
    text = summary_markdown(finished_run(aborted="the steady-state hypothesis does not hold", steps=[]))
    assert "**Aborted:** the steady-state hypothesis does not hold. No fault was injected." in text
    assert "| recovery time (fault lifted → steady state holds) | n/a |" in text
    assert "| backlog drained (fault lifted → no order accepted during the fault still PENDING) | n/a |" in text


def test_requests_are_binned_per_second_by_start_time():
    series = per_second(finished_run().timeline)
    assert series.t[:3] == [0.0, 1.0, 2.0]
    assert series.ok_per_s[0] == 2 and series.failed_per_s[6] == 2


def test_the_timeline_plot_is_written_as_a_png(tmp_path: Path):
    timeline_png(finished_run(), tmp_path / "timeline.png")
    assert (tmp_path / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_recovery_after_ready_counts_from_the_probe_seeing_the_target_ready():
    assert figures(finished_run(recovery_s=9.8))["recovery_after_ready_s"] == 7.3   # the target was ready at 2.5 s
    assert figures(finished_run(recovery_s=None))["recovery_after_ready_s"] is None
