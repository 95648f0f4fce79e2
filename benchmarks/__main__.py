"""`python -m benchmarks`: run the scenarios against the real bot and the local Bot API simulator, print one table.

    python -m benchmarks                       every scenario at full size (about ten minutes)
    python -m benchmarks --quick               small sizes, scenario 1 left out: a smoke run for CI
    python -m benchmarks -s answers -s digest  only these scenarios (names or numbers, see --help)
    python -m benchmarks --json results.json   also write the figures, targets and machine details as JSON
    python -m benchmarks --profile prof/       also profile each scenario with cProfile (slows every figure down)

Progress (and each scenario's rows as it finishes) goes to stderr, the table to stdout. The exit code is 0 whether or
not targets are met — the figures are for people to read and compare (see docs/benchmarks.md), not a test — and 1
when a scenario could not run at all (it is named under the table; the other scenarios still run).
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
from dataclasses import dataclass
from pathlib import Path

from benchmarks import answers, digest, fanout, footprint, processes, redaction
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
)
SMALL_GROUP = 6


@dataclass(frozen=True)
class Scenario:
    number: int
    name: str
    about: str
    run: Callable[[Sizes], Awaitable[list[Result]]]
    in_quick: bool = True


async def _digest(sizes: Sizes) -> list[Result]:
    return digest.digest(sizes.digest_large, SMALL_GROUP, sizes.digest_rounds, sizes.repeats)


async def _now(results: list[Result]) -> list[Result]:
    return results


async def _scaling(sizes: Sizes) -> list[Result]:
    results = await fanout.scaling(sizes.fan_out_scaling)
    return results + digest.scaling(sizes.digest_scaling, sizes.digest_rounds, sizes.repeats)


SCENARIOS = (
    Scenario(1, "fanout-limited", "open rounds at Telegram's limits: elapsed / floor, 429s",
             lambda s: fanout.limited(*s.fan_out), in_quick=False),
    Scenario(2, "fanout", "open rounds with no limits: messages per second", lambda s: fanout.capacity(*s.fan_out)),
    Scenario(3, "answers", "concurrent scale presses vs a minimal PTB bot", lambda s: answers.answers(s.answering)),
    Scenario(4, "digest", "digest build time, large group and ordinary group", _digest),
    Scenario(5, "footprint", "RSS when idle and start-up time of a large deployment",
             lambda s: footprint.footprint(*s.footprint, s.idle_seconds)),
    Scenario(6, "scaling", "fan-out and digest at 1×, 10×, 100×", _scaling),
    Scenario(7, "redaction", "recall and lost words on the fi/sv/en corpus, time per text",
             lambda s: _now(redaction.redaction(s.repeats)), in_quick=False),
    Scenario(8, "answers-process", "presses vs a minimal PTB bot, each bot its own process",
             lambda s: processes.answers_out_of_process(s.presses_one_at_a_time, s.presses_at_once, s.repeats)),
)  # fmt: skip


def _select(names: list[str] | None, quick: bool) -> list[Scenario]:
    if not names:
        return [scenario for scenario in SCENARIOS if scenario.in_quick or not quick]
    chosen = []
    for name in names:
        found = [s for s in SCENARIOS if name in (s.name, str(s.number))]
        if not found:
            known = ", ".join(f"{s.number} {s.name}" for s in SCENARIOS)
            raise SystemExit(f"unknown scenario {name!r}; known: {known}")
        chosen += found
    return chosen


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


async def run(scenarios: list[Scenario], sizes: Sizes, profile_dir: Path | None) -> tuple[list[Result], dict[str, str]]:
    """Every scenario in turn; one that fails is reported and the others still run."""
    results: list[Result] = []
    errors: dict[str, str] = {}
    for scenario in scenarios:
        print(f"[{scenario.number}] {scenario.name}: {scenario.about} …", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            rows = await _run(scenario, sizes, profile_dir)
        except Exception as error:  # one broken scenario must not lose the figures of the others
            traceback.print_exc()
            errors[scenario.name] = f"{type(error).__name__}: {error}"
            continue
        results += rows
        print(table(rows), file=sys.stderr)
        print(f"[{scenario.number}] done in {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return results, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Kierros benchmarks (see docstring)")
    parser.add_argument("--quick", action="store_true", help="small sizes, without scenario 1 unless named")
    parser.add_argument(
        "-s", "--scenario", action="append", metavar="NAME",
        help="run only this scenario (repeatable): " + ", ".join(f"{s.number}/{s.name}" for s in SCENARIOS),
    )  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON to PATH")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write a cProfile of each scenario to DIR")
    arguments = parser.parse_args(argv)
    scenarios = _select(arguments.scenario, arguments.quick)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    quiet_libraries()
    # Every scenario starts and stops the bot: PTB's lifecycle lines would bury the progress.
    logging.getLogger("telegram").setLevel(logging.WARNING)
    details = machine()
    sizes = QUICK if arguments.quick else FULL
    started = time.time()
    results, errors = asyncio.run(run(scenarios, sizes, arguments.profile))
    print(f"Kierros benchmarks{' (quick)' if arguments.quick else ''} — {machine_line(details)}")
    print(table(results))
    for name, error in errors.items():
        print(f"scenario {name} failed: {error}")
    if arguments.json is not None:
        document = {
            "quick": arguments.quick,
            "started": started,
            "seconds": time.time() - started,
            "machine": details,
            "results": [result.to_json() for result in results],
            "errors": errors,
        }
        arguments.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
