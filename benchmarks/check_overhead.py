"""What `finstack check` adds to an offline preview: wall time, CPU time and overhead.

Two views, each the median of --runs rounds:

- in process (imports already paid): the program run + plan export alone, against the same
  with the policy check (`run_check`: the pack starts and is configured while the program
  runs, Analyze and AnalyzeStack follow it) with 1, 2 and 3 pack processes, and against the
  plain order (program, then start the pack and check);
- end to end: `finstack preview --stack S` against `finstack check --stack S`, each a fresh
  process, as an operator or CI runs them.

Every round runs each variant once, in turn, so a change in the machine's load (other jobs
share it) hits all of them alike; the load average is recorded before and after. The overhead
is the median of each round's ratio to that round's preview: on a shared machine whose speed
drifts by tens of percent over minutes, pairing within a round is what makes it comparable. CPU time is
this process's plus its finished children's (the pack processes), so it does not depend on
load: it shows what the check costs in total, the wall time what it costs the operator.

Then the analyzer's throughput: resources checked per second when a finished export goes
through pack processes that are already running.

Usage: python -m benchmarks.check_overhead [--stack prod] [--runs 5] [--processes 1,2,3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_OVERHEAD = 0.15


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rounds(variants: dict[str, Callable[[], Any]], runs: int) -> dict[str, dict[str, Any]]:
    """Run every variant once per round, in turn; per variant the median wall and CPU seconds."""
    walls: dict[str, list[float]] = {name: [] for name in variants}
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    results: dict[str, Any] = {}
    for _ in range(runs):
        for name, action in variants.items():
            cpu, start = _cpu_seconds(), time.perf_counter()
            results[name] = action()
            walls[name].append(time.perf_counter() - start)
            cpus[name].append(_cpu_seconds() - cpu)
    base = next(iter(variants))
    return {
        name: {
            "seconds": statistics.median(walls[name]),
            "cpuSeconds": statistics.median(cpus[name]),
            "walls": [round(w, 3) for w in walls[name]],
            "overhead": _paired(walls[name], walls[base]),
            "cpuOverhead": _paired(cpus[name], cpus[base]),
            "result": results[name],
        }
        for name in variants
    }


def _pack_processes(count: int) -> str:
    """How the variants name their process count: "1 pack process", "2 pack processes"."""
    return f"{count} pack process{'es' if count > 1 else ''}"


def _paired(values: list[float], base: list[float]) -> float:
    """The median of each round's relative difference to the same round's base."""
    return statistics.median(value / reference - 1 for value, reference in zip(values, base, strict=True))


def in_process(stack: str, runs: int, processes: list[int]) -> list[dict[str, Any]]:
    """Preview alone, then preview + check (per process count), and program-then-check."""
    from finstack.check.runner import DEFAULT_PACK_DIR, default_config_file, run_check
    from finstack.check.session import DEFAULT_PROCESSES, AnalyzerSession
    from finstack.engine.export import plan_export
    from finstack.engine.runner import run_program
    from finstack.project import load_stack

    files = load_stack(stack, ROOT)
    pack = ROOT / DEFAULT_PACK_DIR
    config = default_config_file(files, pack)

    def in_sequence() -> Any:
        with AnalyzerSession(pack, files, config, processes=DEFAULT_PROCESSES) as session:
            return session.check(plan_export(run_program(files), ROOT))

    preview = "preview (program + export)"
    variants: dict[str, Callable[[], Any]] = {preview: lambda: plan_export(run_program(files), ROOT)}

    def checked(count: int) -> Callable[[], Any]:
        return lambda: run_check(files, pack, config, processes=count)

    for count in processes:
        variants[f"preview + check ({_pack_processes(count)})"] = checked(count)
    variants[f"preview, then start the pack and check ({_pack_processes(DEFAULT_PROCESSES)})"] = in_sequence
    variants[preview]()  # warm-up: the program's imports and the pack's .pyc files
    measured = _rounds(variants, runs)
    base = measured[preview]
    rows = [
        {
            "what": preview,
            "seconds": base["seconds"],
            "cpuSeconds": base["cpuSeconds"],
            "walls": base["walls"],
            "resources": len(base["result"]["resources"]),
        }
    ]
    for name, figures in measured.items():
        if name == preview:
            continue
        rows.append(
            {
                "what": name,
                "seconds": figures["seconds"],
                "cpuSeconds": figures["cpuSeconds"],
                "walls": figures["walls"],
                "resources": figures["result"].resources_checked,
                "overhead": figures["overhead"],
                "cpuOverhead": figures["cpuOverhead"],
            }
        )
    return rows


def end_to_end(stack: str, runs: int) -> list[dict[str, Any]]:
    """`finstack preview` against `finstack check`, each in a fresh process."""

    def cli(*args: str) -> Callable[[], None]:
        def run() -> None:
            done = subprocess.run(
                [sys.executable, "-m", "finstack.cli", *args], cwd=ROOT, capture_output=True, text=True, check=False
            )
            if done.returncode not in (0, 1):
                raise SystemExit(f"finstack {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")

        return run

    preview, check = "finstack preview (fresh process)", "finstack check (fresh process)"
    measured = _rounds({preview: cli("preview", "--stack", stack), check: cli("check", "--stack", stack)}, runs)
    base = measured[preview]
    return [
        {"what": preview, "seconds": base["seconds"], "cpuSeconds": base["cpuSeconds"], "walls": base["walls"]},
        {
            "what": check,
            "seconds": measured[check]["seconds"],
            "cpuSeconds": measured[check]["cpuSeconds"],
            "walls": measured[check]["walls"],
            "overhead": measured[check]["overhead"],
            "cpuOverhead": measured[check]["cpuOverhead"],
        },
    ]


def throughput(stack: str, runs: int, processes: list[int]) -> list[dict[str, Any]]:
    """Resources checked per second: a finished export through connected, warmed-up pack processes."""
    from finstack.check.runner import DEFAULT_PACK_DIR, default_config_file
    from finstack.check.session import AnalyzerSession
    from finstack.engine.export import plan_export
    from finstack.engine.runner import run_program
    from finstack.project import load_stack

    files = load_stack(stack, ROOT)
    pack = ROOT / DEFAULT_PACK_DIR
    document = plan_export(run_program(files), ROOT)
    rows = []
    for count in processes:
        with AnalyzerSession(pack, files, default_config_file(files, pack), processes=count) as session:
            session.check(document)  # connects, and warms the pack up
            walls = []
            for _ in range(runs):
                start = time.perf_counter()
                report = session.check(document)
                walls.append(time.perf_counter() - start)
        seconds = statistics.median(walls)
        rows.append(
            {
                "what": f"check of a finished export ({_pack_processes(count)})",
                "seconds": seconds,
                "walls": [round(w, 3) for w in walls],
                "resources": report.resources_checked,
                "resourcesPerSecond": report.resources_checked / seconds,
            }
        )
    return rows


def _table(title: str, rows: list[dict[str, Any]]) -> str:
    lines = [title, f"  {'':56} {'wall s':>7} {'overhead':>9} {'CPU s':>6} {'CPU +':>6}"]
    for row in rows:
        overhead = f"{row['overhead']:+.0%}" if "overhead" in row else ""
        cpu_overhead = f"{row['cpuOverhead']:+.0%}" if "cpuOverhead" in row else ""
        lines.append(
            f"  {row['what']:56} {row['seconds']:7.2f} {overhead:>9} {row['cpuSeconds']:6.2f} {cpu_overhead:>6}"
        )
    return "\n".join(lines)


def _policy_count() -> int:
    """How many policies the pack serves (the overhead grows with them)."""
    from policy.rules import ALL_POLICIES

    return len(ALL_POLICIES)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the tables, optionally write the figures as JSON; returns them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", default="1,2,3", help="pack process counts to measure, comma-separated")
    parser.add_argument("--no-end-to-end", action="store_true", help="only the in-process figures")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    try:
        processes = [int(p) for p in args.processes.split(",") if p.strip()]
    except ValueError:
        parser.error("--processes takes numbers, e.g. 1,2,3")
    if not processes or min(processes) < 1:
        parser.error("--processes takes numbers of at least 1")
    figures: dict[str, Any] = {
        "stack": args.stack,
        "runs": args.runs,
        "cpuCount": os.cpu_count(),
        "policies": _policy_count(),
    }
    figures["loadBefore"] = _load()
    figures["inProcess"] = in_process(args.stack, args.runs, processes)
    figures["endToEnd"] = [] if args.no_end_to_end else end_to_end(args.stack, args.runs)
    figures["throughput"] = throughput(args.stack, args.runs, processes)
    figures["loadAfter"] = _load()
    resources = figures["inProcess"][0]["resources"]
    print(
        _table(
            f"finstack check overhead, stack {args.stack}, {resources} resources, {figures['policies']} policies, "
            f"median of {args.runs}, "
            f"{figures['cpuCount']} CPUs, load {figures['loadBefore'][0]} -> {figures['loadAfter'][0]}",
            figures["inProcess"],
        )
    )
    if figures["endToEnd"]:
        print(_table("end to end", figures["endToEnd"]))
    print("analyzer throughput")
    for row in figures["throughput"]:
        print(f"  {row['what']:56} {row['seconds']:7.2f} s  {row['resourcesPerSecond']:6.0f} resources/s")
    best = min(row["overhead"] for row in figures["inProcess"] if "overhead" in row)
    verdict = f"overhead: in process, best variant {best:+.0%}"
    if figures["endToEnd"]:
        verdict += f"; end to end {figures['endToEnd'][1]['overhead']:+.0%}"
    print(f"{verdict} (target < {TARGET_OVERHEAD:.0%})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
