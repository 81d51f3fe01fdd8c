"""Drill orchestration overhead and AWS API calls per drill, on the real prod stack in the emulator.

`python -m benchmarks.drills` deploys the prod stack into an in-process emulator running on wall
time (as `finstack emulator serve` does), then runs a switchover, a failback and, after taking the
primary's endpoint down, a failover, each with the drill's real clock and the emulator timings.

Overhead = measured RTO - the emulator's modelled AWS operation time inside the RTO window (the
Aurora writer change: `AuroraTimings.pending + promoting`; node groups, routing controls and health
checks change instantly in the emulator). It is what finstack itself adds: API round trips,
polling granularity, invariant checks, journal writes. Target: under 1 s.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_OVERHEAD_SECONDS = 1.0


def _prepare_project(directory: Path) -> Path:
    """A copy of the project's stack files (the deploy writes .finstack/ there, not in the repo)."""
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, directory / name)
    (directory / "infra").symlink_to(ROOT / "infra", target_is_directory=True)
    return directory


def _drill(document: Any, kind: str, report_dir: Path) -> dict[str, Any]:
    from finstack.drills import session
    from finstack.drills.runner import EMULATOR_TIMINGS

    setup = session.emulated("prod", document, timings=EMULATOR_TIMINGS)
    preview = session.prepare(setup, kind)  # type: ignore[arg-type]
    if not preview.executable:
        raise SystemExit(f"{kind}: not executable: {[c for c in preview.checks if c.blocking and not c.ok]}")
    operator = {
        "user": "benchmark",
        "callerArn": "arn:aws:sts::123456789012:assumed-role/bench",
        "account": "123456789012",
    }
    started = time.perf_counter()
    result, json_path, _ = session.start(
        setup,
        preview,
        report_dir,
        drill_id=session.new_drill_id(kind, setup.clock),  # type: ignore[arg-type]
        operator=operator,
        approval_method="--yes",
    )
    wall = time.perf_counter() - started
    report = json.loads(json_path.read_text(encoding="utf-8"))
    if result.status != "completed":
        raise SystemExit(f"{kind}: {result.status}: {result.reason}")
    plan_calls = sum(1 for c in report["otherApiCalls"] if c["step"] == "plan")
    # Polls while Aurora changes the writer: one every 50 ms here, one every 10 s against AWS.
    polls = sum(len(s["apiCalls"]) for s in report["steps"] if s["kind"] == "confirm-writer")
    return {
        "drill": kind,
        "rto": report["rto"]["seconds"],
        "wall": wall,
        "calls": report["apiCallCount"],
        "planCalls": plan_calls,
        "writerPolls": polls,
        "lost": report["rpo"]["committedWritesLost"],
    }


def _arm(document: Any) -> None:
    """Every routing control On, as `finstack up --emulate` does after a first deploy (drills refuse otherwise)."""
    from finstack.drills import arm, session

    armed = arm.arm(session.emulated("prod", document), execute=True)
    if not armed.armed:
        raise SystemExit(f"the emulated prod stack could not be armed: {armed}")


def main() -> None:
    """Deploy, drill, print the table (and write benchmarks/drills.json)."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(key, None)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        os.environ[key] = "finstack-benchmark"
    from rich.console import Console
    from rich.table import Table

    from finstack.drills import dr
    from finstack.emulator.deploy import up
    from finstack.emulator.gateway import AwsGateway
    from finstack.emulator.moto_ext import (
        AuroraTimings,
        MonotonicClock,
        restricted_mock_aws,
        set_aurora_timings,
        set_clock,
        set_endpoint_health,
    )
    from finstack.emulator.session import EmulatorSession
    from finstack.project import load_stack

    timings = AuroraTimings()
    modelled = timings.pending + timings.promoting
    set_clock(MonotonicClock())
    set_aurora_timings(timings)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="finstack-bench-") as tmp, restricted_mock_aws():
        project = _prepare_project(Path(tmp))
        up(load_stack("prod", project), EmulatorSession("in-process", AwsGateway(), in_process=True))
        document = dr.load_file(project / ".finstack" / "prod" / "outputs.json")
        _arm(document)
        rows.append(_drill(document, "switchover", Path(tmp) / "switchover"))
        rows.append(_drill(document, "failback", Path(tmp) / "failback"))
        set_endpoint_health(document.cell(document.primary_region).health_check_id, False)
        rows.append(_drill(document, "failover", Path(tmp) / "failover"))
    table = Table(
        title=f"Drill overhead, prod stack in the emulator (Aurora writer change modelled at {modelled:.1f} s)"
    )
    columns = ("drill", "RTO s", "overhead s", "API calls", "plan reads", "writer polls", "others", "wall s", "lost")
    for column in columns:
        table.add_column(column, justify="right" if column != "drill" else "left")
    for row in rows:
        row["overhead"] = row["rto"] - modelled
        verdict = "" if row["overhead"] < TARGET_OVERHEAD_SECONDS else " (over target)"
        others = row["calls"] - row["planCalls"] - row["writerPolls"]
        table.add_row(
            row["drill"],
            f"{row['rto']:.3f}",
            f"{row['overhead']:.3f}{verdict}",
            str(row["calls"]),
            str(row["planCalls"]),
            str(row["writerPolls"]),
            str(others),
            f"{row['wall']:.2f}",
            str(row["lost"]),
        )
    Console(width=120).print(table)
    (ROOT / "benchmarks" / "drills.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    if any(row["overhead"] >= TARGET_OVERHEAD_SECONDS for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
