"""Run drills in tests: prepare, start, resume, and read the evidence back."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finstack.drills import evidence, session
from finstack.drills.clock import ManualClock
from finstack.drills.runner import RunResult
from tests.drills import platform as builder

OPERATOR = {
    "user": "drill-tester",
    "callerArn": "arn:aws:sts::123456789012:assumed-role/dr/drill-tester",
    "account": "123456789012",
}


@dataclass
class Outcome:
    """One drill run: its result, report.json (schema-validated), report.md and folder."""

    result: RunResult
    report: dict[str, Any]
    markdown: str
    directory: Path

    def calls(self, operation: str) -> list[dict[str, Any]]:
        """Every recorded attempt of `operation` (PascalCase), across steps."""
        return [c for s in self.report["steps"] for c in s["apiCalls"] if c["operation"] == operation]

    def step(self, kind: str) -> dict[str, Any]:
        """The report's first step of `kind`."""
        return next(s for s in self.report["steps"] if s["kind"] == kind)


def warm_up(platform: builder.Platform, workload: builder.Workload, ticks: int = 8, every: float = 0.25) -> None:
    """Let the application write for a while, so writes are in flight when the drill starts."""
    for _ in range(ticks):
        platform.clock.advance(every)
        workload.tick()


def read(directory: Path, result: RunResult) -> Outcome:
    """The evidence of the drill in `directory`, validated against report.schema.json."""
    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    evidence.validate(report)
    return Outcome(result, report, (directory / "report.md").read_text(encoding="utf-8"), directory)


def run(
    platform: builder.Platform,
    kind: str,
    directory: Path,
    *,
    workload: builder.Workload | None = None,
    hooks: list[tuple[str, Callable[..., Any]]] | None = None,
    to: str | None = None,
    override_fence: str | None = None,
    accept_unverified_canary: str | None = None,
    seed: int = 0,
) -> Outcome:
    """Prepare and execute one drill (approved with --yes) and read its evidence."""
    setup = builder.setup_for(platform, workload, hooks=hooks or [], seed=seed)
    return start(
        setup,
        platform,
        kind,
        directory,
        to=to,
        override_fence=override_fence,
        accept_unverified_canary=accept_unverified_canary,
    )


def start(
    setup: session.DrillSetup,
    platform: builder.Platform,
    kind: str,
    directory: Path,
    *,
    to: str | None = None,
    override_fence: str | None = None,
    accept_unverified_canary: str | None = None,
) -> Outcome:
    """Prepare and execute one drill with `setup`."""
    preview = session.prepare(setup, kind, to=to)  # type: ignore[arg-type]
    return execute(
        setup,
        preview,
        kind,
        directory,
        override_fence=override_fence,
        accept_unverified_canary=accept_unverified_canary,
    )


def execute(
    setup: session.DrillSetup,
    preview: session.Preview,
    kind: str,
    directory: Path,
    *,
    override_fence: str | None = None,
    accept_unverified_canary: str | None = None,
    operator: dict[str, Any] | None = None,
) -> Outcome:
    """Execute the dry run `preview` with `setup`, approved as `--yes`; its outcome."""
    assert isinstance(setup.clock, ManualClock)
    result, _, _ = session.start(
        setup,
        preview,
        directory,
        drill_id=session.new_drill_id(kind, setup.clock),  # type: ignore[arg-type]
        operator=operator or OPERATOR,
        approval_method="--yes",
        override_fence=override_fence,
        accept_unverified_canary=accept_unverified_canary,
    )
    return read(directory, result)


def resume(
    platform: builder.Platform,
    directory: Path,
    *,
    workload: builder.Workload | None = None,
    hooks: list[tuple[str, Callable[..., Any]]] | None = None,
    seed: int = 1,
    on_setup: Callable[[session.DrillSetup], None] | None = None,
    accept_unverified_canary: str | None = None,
) -> Outcome:
    """Resume the drill in `directory` with a fresh setup (a new process, as after a crash)."""
    setup = builder.setup_for(platform, workload, hooks=hooks or [], seed=seed)
    if on_setup is not None:
        on_setup(setup)
    result, _, _ = session.resume(setup, directory, accept_unverified_canary=accept_unverified_canary)
    return read(directory, result)
