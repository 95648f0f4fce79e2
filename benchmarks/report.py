"""What a benchmark run reports: one `Result` per measured figure, the machine it ran on, the table and the JSON.

A figure may have a baseline (measured in the same run) and a target. The ratio is the figure over its baseline,
or over the target's bound when there is no baseline; the target is checked against the figure itself or against
the ratio to the baseline (`Target.of_ratio`). A figure without a target is informational: it is printed and kept
in the JSON but neither passes nor fails.
"""

from __future__ import annotations

import itertools
import math
import os
import platform
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import telegram


@dataclass(frozen=True)
class Target:
    """A bound the figure (or its ratio to the baseline) must keep: `op` is one of <, <=, >, >=."""

    op: str
    bound: float
    of_ratio: bool = False

    def met(self, value: float) -> bool:
        return {
            "<": value < self.bound,
            "<=": value <= self.bound,
            ">": value > self.bound,
            ">=": value >= self.bound,
        }[self.op]

    def describe(self, unit: str) -> str:
        sign = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}[self.op]
        return f"{sign} {self.bound:g}× baseline" if self.of_ratio else f"{sign} {format_number(self.bound)}{unit}"


@dataclass(frozen=True)
class Result:
    scenario: str
    figure: str
    value: float
    unit: str = ""
    baseline: float | None = None
    target: Target | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        reference = self.baseline if self.baseline is not None else (self.target.bound if self.target else None)
        if not reference:
            return None
        return self.value / reference

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        checked = self.ratio if self.target.of_ratio else self.value
        return None if checked is None else self.target.met(checked)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = None if self.target is None else asdict(self.target) | {"text": self.reference_text}
        data["ratio"] = self.ratio
        data["passed"] = self.passed
        return data

    @property
    def reference_text(self) -> str:
        parts = []
        if self.baseline is not None:
            parts.append(f"baseline {format_number(self.baseline)}{self.unit}")
        if self.target is not None:
            parts.append(self.target.describe(self.unit))
        return "; ".join(parts) or "–"


def growth_exponent(points: list[tuple[float, float]]) -> float:
    """The largest k with cost ∝ size^k between consecutive (size, cost) points: 1 is linear, below 1 better."""
    return max(math.log(c2 / c1) / math.log(s2 / s1) for (s1, c1), (s2, c2) in itertools.pairwise(points))


def format_number(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, CPU model, Python, SQLite and python-telegram-bot versions."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "python_telegram_bot": telegram.__version__,
        # Other work on the machine slows every figure down; a load near the number of CPUs makes them noisy.
        "load_average": os.getloadavg(),
    }


def table(results: list[Result]) -> str:
    """The results as one plain-text table."""
    header = ("scenario", "figure", "value", "baseline / target", "ratio", "pass")
    rows = [header]
    for result in results:
        ratio = result.ratio
        verdict = {True: "PASS", False: "FAIL", None: "info"}[result.passed]
        rows.append(
            (
                result.scenario,
                result.figure,
                f"{format_number(result.value)}{result.unit}",
                result.reference_text,
                "–" if ratio is None else f"{ratio:.2f}",
                verdict,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def machine_line(details: dict[str, Any]) -> str:
    load = ", ".join(f"{value:.2f}" for value in details["load_average"])
    return (
        f"{details['nproc']} CPU(s), {details['cpu_model']}; Python {details['python']}; SQLite {details['sqlite']}; "
        f"python-telegram-bot {details['python_telegram_bot']}; load average {load}"
    )
