"""`python -m benchmarks`: run the scenarios against the real bot and the local Bot API simulator, print one table.

    python -m benchmarks                       every scenario at full size (about ten minutes)
    python -m benchmarks --quick               small sizes, scenario 1 left out: a smoke run for CI
    python -m benchmarks -s answers -s digest  only these scenarios (names or numbers, see --help)
    python -m benchmarks --json results.json   also write the figures, targets and machine details as JSON
    python -m benchmarks --profile prof/       also profile each scenario with cProfile (slows every figure down)
    python -m benchmarks --storage sqlite,postgresql
                                               the scenarios that touch storage on both backends, side by side,
                                               and the failover scenario (PostgreSQL only; see benchmarks/storage.py)

Progress (and each scenario's rows as it finishes) goes to stderr, the table to stdout. The exit code is 0 whether or
not targets are met — the figures are for people to read and compare (see docs/benchmarks.md), not a test — and 1
when a scenario could not run at all (it is named under the table; the other scenarios still run). Without a
PostgreSQL server, its rows are named as skipped and do not count as failures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import pstats
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import answers, digest, failover, fanout, footprint, large_round, processes, redaction, storage
from benchmarks.report import Result, machine, machine_line, table
from bot import quiet_libraries


@dataclass(frozen=True)
class Sizes:
    fan_out: tuple[int, int]  # groups, members per group
    answering: int  # members pressing at once
    digest_large: int  # respondents
    digest_rounds: int
    repeats: int
    footprint: tuple[int, int]
    idle_seconds: float
    fan_out_scaling: list[tuple[int, int]]
    digest_scaling: list[int]
    presses_one_at_a_time: int  # scenario 8
    presses_at_once: list[int]
    large_round: int  # members
    failover: tuple[int, int, int]  # instances, members, kills


FULL = Sizes(
    fan_out=(200, 10),
    answering=1000,
    digest_large=1000,
    digest_rounds=20,
    repeats=3,
    footprint=(1000, 10),
    idle_seconds=3.0,
    # 100× of the fan-out is 20,000 members (40,000 messages); 100× of the digest ends at scenario 4's 1,000.
    fan_out_scaling=[(20, 10), (200, 10), (2000, 10)],
    digest_scaling=[10, 100, 1000],
    presses_one_at_a_time=200,
    presses_at_once=[200, 1000],
    large_round=1000,
    # 1,800 prompts at Telegram's 30 a second: a minute of fan-out, long enough for ten kills.
    failover=(3, 900, 10),
)
QUICK = Sizes(
    fan_out=(5, 4),
    answering=20,
    digest_large=50,
    digest_rounds=5,
    repeats=1,
    footprint=(20, 5),
    idle_seconds=0.5,
    fan_out_scaling=[(1, 2), (10, 2), (100, 2)],
    digest_scaling=[3, 30, 300],
    presses_one_at_a_time=10,
    presses_at_once=[20],
    large_round=20,
    failover=(2, 120, 2),
)
SMALL_GROUP = 6


@dataclass(frozen=True)
class Scenario:
    number: int
    name: str
    about: str
    run: Callable[[Sizes], Awaitable[list[Result]]]
    in_quick: bool = True
    touches_storage: bool = False  # run once per backend given to --storage
    postgresql_only: bool = False  # run only when PostgreSQL is among the backends, or named


async def _digest(sizes: Sizes) -> list[Result]:
    return digest.digest(sizes.digest_large, SMALL_GROUP, sizes.digest_rounds, sizes.repeats)


async def _now(results: list[Result]) -> list[Result]:
    return results


async def _scaling(sizes: Sizes) -> list[Result]:
    results = await fanout.scaling(sizes.fan_out_scaling)
    if storage.on_postgresql():
        return results  # the digest half touches no storage: its figures come from the SQLite run
    return results + digest.scaling(sizes.digest_scaling, sizes.digest_rounds, sizes.repeats)


SCENARIOS = (
    Scenario(1, "fanout-limited", "open rounds at Telegram's limits: elapsed / floor, 429s",
             lambda s: fanout.limited(*s.fan_out), in_quick=False, touches_storage=True),
    Scenario(2, "fanout", "open rounds with no limits: messages per second", lambda s: fanout.capacity(*s.fan_out),
             touches_storage=True),
    Scenario(3, "answers", "concurrent scale presses vs a minimal PTB bot", lambda s: answers.answers(s.answering),
             touches_storage=True),
    Scenario(4, "digest", "digest build time, large group and ordinary group", _digest),
    Scenario(5, "footprint", "RSS when idle and start-up time of a large deployment",
             lambda s: footprint.footprint(*s.footprint, s.idle_seconds), touches_storage=True),
    Scenario(6, "scaling", "fan-out and digest at 1×, 10×, 100×", _scaling, touches_storage=True),
    Scenario(7, "redaction", "recall and lost words on the fi/sv/en corpus, time per text",
             lambda s: _now(redaction.redaction(s.repeats)), in_quick=False),
    Scenario(8, "answers-process", "presses vs a minimal PTB bot, each bot its own process",
             lambda s: processes.answers_out_of_process(s.presses_one_at_a_time, s.presses_at_once, s.repeats),
             touches_storage=True),
    Scenario(9, "round", "one large round opened and closed through the storage, digest queued",
             lambda s: large_round.large_round(s.large_round, s.repeats), touches_storage=True),
    Scenario(10, "failover", "several instances on PostgreSQL, the active one killed during a fan-out",
             lambda s: failover.failover(*s.failover), postgresql_only=True),
)  # fmt: skip


def _select(names: list[str] | None, quick: bool, backends: list[str]) -> list[Scenario]:
    if not names:
        return [
            scenario
            for scenario in SCENARIOS
            if (scenario.in_quick or not quick) and (storage.POSTGRESQL in backends or not scenario.postgresql_only)
        ]
    chosen = []
    for name in names:
        found = [s for s in SCENARIOS if name in (s.name, str(s.number))]
        if not found:
            known = ", ".join(f"{s.number} {s.name}" for s in SCENARIOS)
            raise SystemExit(f"unknown scenario {name!r}; known: {known}")
        chosen += found
    return chosen


def _backends(text: str) -> list[str]:
    backends = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in backends if name not in storage.BACKENDS]
    if unknown or not backends:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown) or text!r}: choose from {', '.join(storage.BACKENDS)}")
    return list(dict.fromkeys(backends))


async def _run(scenario: Scenario, sizes: Sizes, profile_dir: Path | None) -> list[Result]:
    if profile_dir is None:
        return await scenario.run(sizes)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        return await scenario.run(sizes)
    finally:
        profiler.disable()
        _save_profile(profiler, profile_dir / f"{scenario.number}-{scenario.name}")


def _save_profile(profiler: cProfile.Profile, stem: Path) -> None:
    """The raw statistics (for snakeviz, pstats) and the 60 most expensive calls by cumulative time, as text."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(stem.with_suffix(".pstats"))
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
    stem.with_suffix(".txt").write_text(text.getvalue(), encoding="utf-8")


@dataclass
class Outcome:
    results: list[Result] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)  # scenario number → its name, PostgreSQL had no server


async def run(
    scenarios: list[Scenario],
    sizes: Sizes,
    profile_dir: Path | None,
    backends: list[str],
    databases: storage.PostgresDatabases | None,
) -> Outcome:
    """Every scenario in turn, on each backend it should run on; one that fails is reported and the others still
    run."""
    outcome = Outcome()
    for scenario in scenarios:
        for backend in _backends_of(scenario, backends):
            where = f" on {storage.NAMES[backend]}" if backend and backend != storage.SQLITE else ""
            if backend == storage.POSTGRESQL and databases is None:
                print(f"[{scenario.number}] {scenario.name}{where}: {storage.SKIPPED}", file=sys.stderr, flush=True)
                outcome.skipped[scenario.number] = scenario.name
                continue
            print(f"[{scenario.number}] {scenario.name}{where}: {scenario.about} …", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                with storage.using(databases if backend == storage.POSTGRESQL else None):
                    rows = await _run(scenario, sizes, profile_dir)
            except Exception as error:  # one broken scenario must not lose the figures of the others
                traceback.print_exc()
                outcome.errors[scenario.name + where] = f"{type(error).__name__}: {error}"
                continue
            rows = storage.label(rows, backend) if backend else rows
            outcome.results += rows
            print(table(rows), file=sys.stderr)
            print(f"[{scenario.number}] done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return outcome


def _backends_of(scenario: Scenario, backends: list[str]) -> list[str | None]:
    """The backends a scenario runs on (None: it touches no storage, one run)."""
    if scenario.postgresql_only:
        return [storage.POSTGRESQL]
    return list(backends) if scenario.touches_storage else [None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Kierros benchmarks (see docstring)")
    parser.add_argument("--quick", action="store_true", help="small sizes, without scenario 1 unless named")
    parser.add_argument(
        "-s", "--scenario", action="append", metavar="NAME",
        help="run only this scenario (repeatable): " + ", ".join(f"{s.number}/{s.name}" for s in SCENARIOS),
    )  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON to PATH")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write a cProfile of each scenario to DIR")
    parser.add_argument(
        "--storage", type=_backends, default=[storage.SQLITE], metavar="BACKENDS",
        help="run the scenarios that touch storage on each of these, comma-separated: sqlite (the default), "
        f"postgresql (the server at {storage.URL_ENV}, else a throwaway one started here)",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    backends: list[str] = arguments.storage
    scenarios = _select(arguments.scenario, arguments.quick, backends)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    quiet_libraries()
    # Every scenario starts and stops the bot: PTB's lifecycle lines would bury the progress.
    logging.getLogger("telegram").setLevel(logging.WARNING)
    details = machine()
    sizes = QUICK if arguments.quick else FULL
    started = time.time()
    wants_postgresql = any(storage.POSTGRESQL in _backends_of(scenario, backends) for scenario in scenarios)
    databases = storage.PostgresDatabases.start() if wants_postgresql else None
    try:
        outcome = asyncio.run(run(scenarios, sizes, arguments.profile, backends, databases))
    finally:
        if databases is not None:
            databases.close()
    print(f"Kierros benchmarks{' (quick)' if arguments.quick else ''} — {machine_line(details)}")
    print(table(outcome.results))
    for name, error in outcome.errors.items():
        print(f"scenario {name} failed: {error}")
    if len(backends) > 1:
        print(f"\n{' and '.join(storage.NAMES[backend] for backend in backends)} side by side")
        print(storage.side_by_side(outcome.results, set(outcome.skipped)))
    for number, name in outcome.skipped.items():
        print(f"scenario {number} {name} on PostgreSQL: {storage.SKIPPED}")
    if arguments.json is not None:
        document = {
            "quick": arguments.quick,
            "started": started,
            "seconds": time.time() - started,
            "machine": details,
            "storage": backends,
            "results": [result.to_json() for result in outcome.results],
            "errors": outcome.errors,
            "skipped": {str(number): storage.SKIPPED for number in outcome.skipped},
        }
        arguments.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if outcome.errors else 0


if __name__ == "__main__":
    sys.exit(main())
