"""Running a chaos experiment the way a person does (`faultline chaos run NAME --json`) and reading its figures."""
from __future__ import annotations

import json
import re
from pathlib import Path

from support.stack import LocalStack


def run_chaos(stack: LocalStack, name: str, reports: Path, *, short: bool = True,
              timeout: float = 240) -> tuple[dict, str]:
    """The run's JSON figures (the last JSON object it prints) and its report's summary.md."""
    form = ["--short"] if short else []
    result = stack.faultline("chaos", "run", name, *form, "--reports", str(reports), "--json",
                             timeout=timeout, check=False)
    out = result.stdout
    start = out.rfind("\n{")
    assert start >= 0, f"no JSON figures from chaos run {name} (exit {result.returncode}):\n{out}\n{result.stderr}"
    figures = json.loads(out[start:])
    summary = (Path(figures["report"]) / "summary.md").read_text()
    return figures, summary


_VERIFY_ROW = re.compile(r"^\|\s*(?P<check>[^|]+?)\s*\|\s*FAIL\s*\|[^|\n]*\|$", re.MULTILINE)   # check | verdict | detail


def failed_verify_checks(summary: str) -> set[str]:
    """The names of the `faultline verify` checks (and ledger checks) a summary.md marks FAIL."""
    return {m["check"] for m in _VERIFY_ROW.finditer(summary)}


_HYPOTHESIS_ROW = re.compile(r"^\|\s*(?P<phase>[^|]+?)\s*\|[^|]*\|\s*(?P<check>[^|]+?)\s*\|[^|]*\|[^|]*\|\s*FAIL\s*\|$",
                             re.MULTILINE)


def failed_hypothesis_checks(summary: str) -> set[str]:
    """`phase: check` for each row of a summary.md's hypothesis table marked FAIL."""
    return {f"{m['phase']}: {m['check']}" for m in _HYPOTHESIS_ROW.finditer(summary)}
