"""No function in the services, the kit or the ops CLI is more complex than radon's grade C (cyclomatic 20)."""
from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path for top in ("services", "infra") for path in (ROOT / top).rglob("*.py")
           if ".venv" not in path.parts and "build" not in path.parts]


def test_every_function_is_grade_c_or_better():
    worse = [f"{path.relative_to(ROOT)}:{block.lineno} {block.fullname} {cc_rank(block.complexity)} "
             f"({block.complexity})"
             for path in SOURCES for block in cc_visit(path.read_text()) if cc_rank(block.complexity) > "C"]
    assert SOURCES and worse == []
