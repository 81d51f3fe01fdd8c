"""`finstack check`'s runner: run the program offline (or read an export) and check it.

The pack is spawned and configured on another core while the program runs; the export is then
analyzed as a whole, its Analyze calls and AnalyzeStack shared among the pack processes when
there are several (session.DEFAULT_PROCESSES).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finstack.check.formats import render
from finstack.check.formats.text import summary_line
from finstack.check.report import CheckReport
from finstack.check.session import DEFAULT_PROCESSES, AnalyzerSession
from finstack.engine.export import plan_export
from finstack.engine.runner import run_program
from finstack.errors import UsageError
from finstack.project import StackFiles, load_stack

DEFAULT_PACK_DIR = "policy"


def default_config_file(files: StackFiles, pack_dir: Path) -> Path:
    """`<pack>/config.<stack>.json`: the stack's policy config next to the pack."""
    return pack_dir / f"config.{files.stack}.json"


def load_export(path: Path) -> dict[str, Any]:
    """Read a plan export written by `finstack preview --json`; UsageError when it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--export {path}: no such file; write one with finstack preview --json FILE") from None
    except OSError as err:
        raise UsageError(f"--export {path}: cannot read ({err.strerror})") from None
    except json.JSONDecodeError as err:
        raise UsageError(f"--export {path}: not valid JSON ({err.msg} at line {err.lineno}); regenerate it") from None
    if not isinstance(document, dict):
        raise UsageError(f"--export {path}: not a plan export (expected a JSON object)")
    return document


def run_check(
    files: StackFiles,
    pack_dir: Path,
    config_file: Path | None,
    export: Mapping[str, Any] | None = None,
    processes: int = DEFAULT_PROCESSES,
) -> CheckReport:
    """Check `export` (default: a fresh offline run of the stack's program) against the pack."""
    if export is None:
        files.validated()  # config errors (exit 2) before a process is started
    with AnalyzerSession(pack_dir, files, config_file, processes=processes) as session:
        if export is not None:
            return session.check(export)
        session.connect_in_background()  # the pack starts on the other core while the program runs
        return session.check(plan_export(run_program(files), files.project_dir))


@dataclass(frozen=True)
class CheckOutcome:
    """A finished check: the report, its rendering and the one-line summary."""

    report: CheckReport
    rendered: str
    summary: str


def check_stack(
    stack: str,
    fmt: str,
    pack_dir: Path | None = None,
    config_file: Path | None = None,
    export_file: Path | None = None,
) -> CheckOutcome:
    """Resolve the CLI's defaults (pack `<project>/policy`, config `<pack>/config.<stack>.json`) and check."""
    files = load_stack(stack)
    pack = pack_dir if pack_dir is not None else files.project_dir / DEFAULT_PACK_DIR
    config = config_file if config_file is not None else default_config_file(files, pack)
    export = load_export(export_file) if export_file is not None else None
    report = run_check(files, pack, config, export=export)
    return CheckOutcome(report, render(report, fmt), summary_line(report))
