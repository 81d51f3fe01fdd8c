"""What `finstack check` adds to an offline preview: wall time, overhead and resources checked per second.

Two views, each the median of --runs runs:

- in process (imports already paid): the program run + plan export alone, against the same
  followed by the policy check (`run_check`: the pack boots while the program runs, then
  Analyze for every resource and AnalyzeStack), with one and with two pack processes;
- end to end: `finstack preview --stack S` against `finstack check --stack S`, each a fresh
  process, as an operator or CI runs them.

Usage: python -m benchmarks.check_overhead [--stack prod] [--runs 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_OVERHEAD = 0.15


def _median_seconds(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    walls: list[float] = []
    result: Any = None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), result


def in_process(stack: str, runs: int) -> list[dict[str, Any]]:
    """Preview alone, then preview + check with 1 and 2 pack processes, imports excluded."""
    from finstack.check.runner import DEFAULT_PACK_DIR, default_config_file, run_check
    from finstack.engine.export import plan_export
    from finstack.engine.runner import run_program
    from finstack.project import load_stack

    files = load_stack(stack, ROOT)
    pack = ROOT / DEFAULT_PACK_DIR
    config = default_config_file(files, pack)
    preview, export = _median_seconds(lambda: plan_export(run_program(files), ROOT), runs)
    rows = [{"what": "preview (program + export)", "seconds": preview, "resources": len(export["resources"])}]
    for processes in (1, 2):
        seconds, report = _median_seconds(lambda p=processes: run_check(files, pack, config, processes=p), runs)
        rows.append(
            {
                "what": f"preview + check ({processes} pack process{'es' if processes > 1 else ''})",
                "seconds": seconds,
                "resources": report.resources_checked,
                "overhead": (seconds - preview) / preview,
                "checkedPerSecond": report.resources_checked / max(seconds - preview, 1e-9),
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

    preview, _ = _median_seconds(cli("preview", "--stack", stack), runs)
    checked, _ = _median_seconds(cli("check", "--stack", stack, "--format", "json"), runs)
    return [
        {"what": "finstack preview (fresh process)", "seconds": preview},
        {"what": "finstack check (fresh process)", "seconds": checked, "overhead": (checked - preview) / preview},
    ]


def _table(title: str, rows: list[dict[str, Any]]) -> str:
    lines = [title, f"  {'':44} {'seconds':>8} {'overhead':>9} {'checked/s':>10}"]
    for row in rows:
        overhead = f"{row['overhead']:+.0%}" if "overhead" in row else ""
        rate = f"{row['checkedPerSecond']:.0f}" if "checkedPerSecond" in row else ""
        lines.append(f"  {row['what']:44} {row['seconds']:8.2f} {overhead:>9} {rate:>10}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, print the tables, optionally write the figures as JSON; returns them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if (
        "check"
        not in subprocess.run(
            [sys.executable, "-m", "finstack.cli", "--help"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout
    ):
        end_to_end_rows: list[dict[str, Any]] = []
    else:
        end_to_end_rows = end_to_end(args.stack, args.runs)
    figures = {"stack": args.stack, "runs": args.runs, "inProcess": in_process(args.stack, args.runs)}
    figures["endToEnd"] = end_to_end_rows
    resources = figures["inProcess"][0]["resources"]
    print(
        _table(
            f"finstack check overhead, stack {args.stack}, {resources} resources, median of {args.runs}",
            figures["inProcess"],
        )
    )
    if end_to_end_rows:
        print(_table("end to end", end_to_end_rows))
    best = min(row["overhead"] for row in figures["inProcess"] if "overhead" in row)
    print(f"best in-process overhead {best:.0%} (target < {TARGET_OVERHEAD:.0%})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
