"""`make bench`'s table and its figures file: each row once, as a Markdown line and as one key of latest.json.

A row holds Faultline's value and, where there is one, its baseline's, per round; the cell is the median with the
range over the rounds, and the ratio is taken within each round (so a noisy neighbour slows both sides alike).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field


def spread(values: list[float], digits: int = 0, unit: str = "") -> str:
    """median (min-max) over the rounds."""
    fmt = f"{{:,.{digits}f}}"
    median = fmt.format(statistics.median(values))
    if len(values) == 1:
        return f"{median}{unit}"
    return f"{median}{unit} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def ratios(kit: list[float], bare: list[float]) -> list[float]:
    return [k / b if b else 0.0 for k, b in zip(kit, bare)]


@dataclass
class Figures:
    lines: list[str] = field(default_factory=list)
    figures: dict[str, dict[str, float]] = field(default_factory=dict)

    def row(self, key: str, label: str, kit: list[float], bare: list[float] | None = None, digits: int = 0,
            ratio_digits: int = 2) -> None:
        """One figure: Faultline's values per round, and its baseline's (None: no baseline)."""
        figure = {"faultline": statistics.median(kit)}
        if bare:
            figure |= {"baseline": statistics.median(bare), "ratio": statistics.median(ratios(kit, bare))}
            cells = (spread(kit, digits), spread(bare, digits), spread(ratios(kit, bare), ratio_digits, "×"))
        else:
            cells = (spread(kit, digits), "—", "—")
        self.figures[key] = {name: round(value, 4) for name, value in figure.items()}
        self.lines.append(f"| {label} | {' | '.join(cells)} |")

    def text(self, line: str = "") -> None:
        self.lines.append(line)
