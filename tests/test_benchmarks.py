"""The benchmark runner: `python -m benchmarks --quick` runs every quick scenario end to end and reports in both forms.

No timing is asserted — the figures depend on the machine. What must hold is that each scenario ran against the
real bot and produced its rows, that the table and the JSON agree, and the arithmetic of ratios and targets.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.report import Result, Target, growth_exponent, table
from tests.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_prints_one_table_and_writes_the_same_figures_as_json(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("Kierros benchmarks (quick) — ") and "CPU(s)" in lines[0]
    assert lines[1].split() == ["scenario", "figure", "value", "baseline", "/", "target", "ratio", "pass"]

    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["quick"] is True
    assert document["machine"]["nproc"] >= 1 and document["machine"]["python"]
    results = document["results"]
    # Scenario 1 waits on Telegram's pace by definition (over a minute) and 7 reads the whole redaction corpus: never
    # part of a quick run. Scenario 8 starts each bot as its own process. Scenario 10 (failover) needs PostgreSQL,
    # which a run on the default storage does not ask for.
    assert sorted({result["scenario"].split()[0] for result in results}, key=int) == ["2", "3", "4", "5", "6", "8", "9"]
    assert all(result["details"].get("storage", "sqlite") == "sqlite" for result in results)
    assert len(lines) == 3 + len(results)
    for result, line in zip(results, lines[3:], strict=True):
        assert line.startswith(result["scenario"]) and result["figure"] in line
        assert math.isfinite(result["value"]) and result["value"] >= 0
        verdict = {True: "PASS", False: "FAIL", None: "info"}[result["passed"]]
        assert line.endswith(verdict)
    targets = [result for result in results if result["target"] is not None]
    assert {result["scenario"][0] for result in targets} == {"2", "3", "4", "5", "6", "8"}
    answers = [result for result in results if result["scenario"].startswith("3")]
    assert answers and all(result["baseline"] is not None for result in answers)


def run_benchmarks(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, **(environment or {})},
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed


def test_both_backends_side_by_side_and_the_failover_on_a_postgresql_server(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    output = tmp_path / "results.json"
    completed = run_benchmarks(
        "--quick", "--storage", "sqlite,postgresql", "-s", "fanout", "-s", "round", "-s", "answers-process",
        "-s", "failover", "--json", str(output), environment={"KIERROS_BENCH_PG_URL": postgres_server.url("postgres")},
    )  # fmt: skip
    results = json.loads(output.read_text(encoding="utf-8"))["results"]
    by_storage: dict[str, set[tuple[str, str]]] = {}
    for result in results:
        base = result["scenario"].removesuffix(" · PostgreSQL")
        by_storage.setdefault(result["details"]["storage"], set()).add((base, result["figure"]))
        assert math.isfinite(result["value"]) and result["value"] >= 0
    assert {scenario.split()[0] for scenario, _ in by_storage["sqlite"]} == {"2", "8", "9"}
    # On PostgreSQL the minimal bot of scenario 8 answered every press too, storing them in PostgreSQL.
    answering = [r for r in results if r["scenario"] == "8 answers, own process · PostgreSQL"]
    assert answering and all(r["baseline"] is not None and r["baseline"] > 0 for r in answering), answering
    failover = {figure for scenario, figure in by_storage["postgresql"] if scenario.startswith("10 ")}
    assert by_storage["postgresql"] - {("10 failover", figure) for figure in failover} == by_storage["sqlite"]
    # The failover's invariants hold whatever the machine: every member got the question, nothing was sent twice
    # beyond what was in flight at a kill, and a standby took over each time.
    checked = [r for r in results if r["figure"].startswith(("members without", "messages sent twice"))]
    assert len(checked) == 2 and all(result["passed"] for result in checked), checked
    takeovers = next(r for r in results if r["figure"].startswith("kill → standby's first send, median"))
    assert len(takeovers["details"]["takeovers_s"]) >= 1

    side = completed.stdout[completed.stdout.index("SQLite and PostgreSQL side by side") :].splitlines()
    assert side[1].split() == ["scenario", "figure", "SQLite", "PostgreSQL", "PostgreSQL", "/", "SQLite"]
    assert len(side) == 3 + len(by_storage["sqlite"])
    assert "skipped" not in completed.stdout


def test_without_a_postgresql_server_its_rows_are_named_as_skipped(tmp_path: Path) -> None:
    completed = run_benchmarks(
        "--quick", "--storage", "sqlite,postgresql", "-s", "round", "-s", "failover",
        environment={"KIERROS_PG": "off", "KIERROS_BENCH_PG_URL": ""},
    )  # fmt: skip
    side = completed.stdout[completed.stdout.index("SQLite and PostgreSQL side by side") :].splitlines()
    # Scenario 9's four figures, each measured on SQLite, and why PostgreSQL has none; then one line a scenario.
    rows = side[3:7]
    assert all(row.startswith("9 one large round") and "skipped (no PostgreSQL server)" in row for row in rows), side
    assert side[7:] == [
        "scenario 9 round on PostgreSQL: skipped (no PostgreSQL server)",
        "scenario 10 failover on PostgreSQL: skipped (no PostgreSQL server)",
    ]


def test_unknown_scenario_is_named_with_the_known_ones() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scenario", "nonsense"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0
    assert "unknown scenario 'nonsense'" in completed.stderr and "3 answers" in completed.stderr


def test_ratio_is_to_the_baseline_when_there_is_one_else_to_the_target() -> None:
    throughput = Result("3", "answers/s", 60.0, "/s", baseline=100.0, target=Target(">=", 0.7, of_ratio=True))
    assert throughput.ratio == pytest.approx(0.6)
    assert throughput.passed is False
    digest = Result("4", "build", 0.25, " s", target=Target("<", 0.5))
    assert digest.ratio == pytest.approx(0.5)
    assert digest.passed is True
    info = Result("5", "peak", 90.0, " MB")
    assert info.ratio is None and info.passed is None
    assert "≥ 0.7× baseline" in table([throughput]) and "FAIL" in table([throughput])


def test_growth_exponent_is_one_for_linear_cost_and_two_for_quadratic() -> None:
    assert growth_exponent([(1, 2.0), (10, 20.0), (100, 200.0)]) == pytest.approx(1.0)
    assert growth_exponent([(10, 1.0), (100, 100.0)]) == pytest.approx(2.0)
    # The worst step counts: linear and then quadratic is quadratic.
    assert growth_exponent([(1, 1.0), (10, 10.0), (100, 1000.0)]) == pytest.approx(2.0)
