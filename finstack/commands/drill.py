"""`finstack drill switchover|failover|failback`: parse, confirm, print, exit status.

The logic lives in `finstack.drills` (session -> runner -> gateway); this module only turns
flags into calls and results into lines and exit codes: 0 the plan is executable / the drill
completed, 1 a precondition failed / the drill was refused or aborted (in a safe state, see its
report), 2 bad input (flag, missing outputs, `--via arc` against the emulator).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from finstack.drills import dr, errors, session
from finstack.drills.preflight import Thresholds
from finstack.errors import UsageError
from finstack.project import find_project_dir, load_stack

F = TypeVar("F", bound=Callable[..., Any])

# Soft wrap: long lines (ARNs, paths, the resume command) stay whole, so they can be copied.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

BLAST_RADIUS = """
Blast radius with --execute: the stack's Aurora global cluster (writer moves), the EKS node groups
of the target cell (scaled up; a failback restores them), the stack's ARC routing controls or Route
53 health checks (cells fenced and admitted) - in the AWS account of your credentials, or only in
the emulator with --emulate. Without --execute nothing is changed anywhere: the current state is
read, the exact plan and its preconditions are printed.
"""


def _options(func: F) -> F:
    decorators = [
        click.option("--stack", "-s", required=True, metavar="STACK", help="Stack whose `dr` output to drill."),
        click.option(
            "--to", "to", metavar="REGION", help="Target region (default: the other cell; failback: the primary)."
        ),
        click.option("--execute", is_flag=True, help="Change things. Without it: a dry run that only reads and plans."),
        click.option("--emulate", is_flag=True, help="Drill the emulated stack (in-process, or AWS_ENDPOINT_URL)."),
        click.option(
            "--report",
            "report_dir",
            type=click.Path(file_okay=False, path_type=Path),
            metavar="DIR",
            help="Evidence folder.  [default: .finstack/STACK/drills/DRILL-ID]",
        ),
        click.option(
            "--via",
            type=click.Choice(["direct", "arc"]),
            default="direct",
            show_default=True,
            help="arc: start and follow the stack's ARC Region switch plan instead of orchestrating directly "
            "(AWS only: the emulator has no Region switch API, so --emulate --via arc exits 2).",
        ),
        click.option(
            "--yes", is_flag=True, help="Do not ask for confirmation (automation); the approval is still recorded."
        ),
        click.option(
            "--resume",
            "resume_dir",
            type=click.Path(file_okay=False, path_type=Path),
            metavar="DIR",
            help="Resume the drill whose journal is in DIR (skips verified-completed steps).",
        ),
        click.option(
            "--accept-unverified-canary",
            metavar="REASON",
            help="In prod, end the drill completed even if its split-brain canary cannot be verified; REASON goes "
            "on the record (without it such a drill ends 'unverified', exit 1).",
        ),
        click.option(
            "--max-replication-lag",
            type=click.FloatRange(min=0),
            default=None,
            metavar="SECONDS",
            help="Refuse a planned drill above this Aurora replication lag.  [default: 2]",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@click.group()
def drill() -> None:
    """DR drills: move the writer and traffic between regions, with evidence for auditors.

    Every executed drill writes report.json and report.md (timeline, API request ids, RTO, RPO,
    fence confirmation, controls evidenced: PCI DSS 12.10.2, SOC 2 A1.3, DORA Art. 11/12).
    """


@drill.command(epilog=BLAST_RADIUS)
@_options
def switchover(**options: Any) -> None:
    """Planned switchover (RPO 0): scale the target, fence the source, switch the Aurora writer, move traffic."""
    _drill("switchover", **options)


@drill.command(epilog=BLAST_RADIUS)
@_options
@click.option(
    "--override-fence",
    metavar="REASON",
    help="Promote even if the fence on the failed region cannot be confirmed; REASON goes on the record.",
)
def failover(**options: Any) -> None:
    """Unplanned failover after a region loss: fence first (fail closed), promote, measure the data lost."""
    _drill("failover", **options)


@drill.command(epilog=BLAST_RADIUS)
@_options
def failback(**options: Any) -> None:
    """Return to the original region once it is healthy and resynchronised; restores node group capacity."""
    _drill("failback", **options)


def _drill(kind: str, **options: Any) -> None:
    try:
        _run(kind, **options)
    except (errors.DocumentError, errors.NotEmulated) as err:
        raise UsageError(str(err)) from None
    except errors.PreconditionFailed as err:
        err_console.print(f"[bold red]refused:[/] {err}", soft_wrap=True)
        sys.exit(1)
    except errors.DrillError as err:
        err_console.print(f"[bold red]error:[/] {err}", soft_wrap=True)
        sys.exit(1)


def _run(
    kind: str,
    *,
    stack: str,
    to: str | None,
    execute: bool,
    emulate: bool,
    report_dir: Path | None,
    via: str,
    yes: bool,
    resume_dir: Path | None,
    max_replication_lag: float | None,
    accept_unverified_canary: str | None = None,
    override_fence: str | None = None,
) -> None:
    thresholds = (
        Thresholds(max_replication_lag_seconds=max_replication_lag) if max_replication_lag is not None else None
    )
    setup, project_dir = _setup(stack, emulate)
    if resume_dir is not None:
        operator = session.operator_identity(setup)
        _confirm(f"resume drill {resume_dir.name} of stack {stack} as {operator['callerArn']}", setup, yes)
        result, json_path, md_path = session.resume(
            setup, resume_dir, operator, on_progress=_progress, accept_unverified_canary=accept_unverified_canary
        )
        _finish(result, json_path, md_path)
        return
    preview = session.prepare(setup, kind, to=to, via=via, thresholds=thresholds)  # type: ignore[arg-type]
    _print_preview(preview, setup.mode)
    if not execute:
        if preview.executable:
            console.print("dry run: nothing was changed; the plan is executable (add --execute to run it)")
            return
        console.print("dry run: nothing was changed; [bold red]the plan is not executable[/] (see FAILED above)")
        sys.exit(1)
    if not preview.executable:
        err_console.print("[bold red]refused:[/] blocking preconditions fail (see FAILED above); nothing was changed")
        sys.exit(1)
    operator = session.operator_identity(setup)
    console.print(
        f"account {operator['account']}   stack {stack}   {kind}: writer and traffic "
        f"{preview.plan.source} -> {preview.plan.target}   operator {operator['user']} ({operator['callerArn']})"
    )
    _confirm(f"{kind} stack {stack} from {preview.plan.source} to {preview.plan.target}", setup, yes)
    drill_id = session.new_drill_id(kind, setup.clock)  # type: ignore[arg-type]
    directory = report_dir or project_dir / ".finstack" / stack / "drills" / drill_id
    console.print(f"drill {drill_id}: journal and evidence in {directory}")
    result, json_path, md_path = session.start(
        setup,
        preview,
        directory,
        drill_id=drill_id,
        operator=operator,
        approval_method="--yes" if yes else "prompt",
        override_fence=override_fence,
        accept_unverified_canary=accept_unverified_canary,
        thresholds=thresholds,
        on_progress=_progress,
    )
    _finish(result, json_path, md_path)


def _setup(stack: str, emulate: bool) -> tuple[Any, Path]:
    return stack_setup(stack, emulate, arm_after_deploy=True)


def stack_setup(stack: str, emulate: bool, *, arm_after_deploy: bool) -> tuple[session.DrillSetup, Path]:
    """The drill setup of `stack` (as the DR automation role) and the project folder.

    With `emulate` and an in-process emulator (which starts empty), the stack is deployed into it
    first and, with `arm_after_deploy`, armed, as `finstack up --emulate` does.
    """
    project_dir = find_project_dir()
    if not emulate:
        return session.real(stack, dr.load_pulumi(stack, project_dir)), project_dir
    # The emulator (moto, pulumi for the in-process deploy) loads only with --emulate.
    from finstack.emulator import session as emulator

    active = emulator.start()
    outputs = project_dir / ".finstack" / stack / "outputs.json"
    if active.in_process:
        from finstack.commands.emulate import arm_emulated, created_routing_controls
        from finstack.emulator.deploy import up

        err_console.print(
            f"in-process emulator: deploying stack {stack} first (set AWS_ENDPOINT_URL to drill a running one)"
        )
        report = up(load_stack(stack, project_dir), active)
        if arm_after_deploy and created_routing_controls(report):
            arm_emulated(stack, outputs, None)
    document = dr.load_file(outputs)
    endpoint = None if active.in_process else active.endpoint
    return session.emulated(stack, document, endpoint_url=endpoint), project_dir


def _confirm(action: str, setup: Any, yes: bool) -> None:
    target = "the emulated account" if setup.mode == "emulator" else "the AWS account of your current credentials"
    console.print(f"About to {action} in {target}.")
    if not yes and not click.confirm("Continue?", default=False):
        raise UsageError("not confirmed; nothing was changed (pass --yes in automation)")


def _print_preview(preview: Any, mode: str) -> None:
    plan = preview.plan
    console.print(
        f"[bold]{plan.drill}[/] of stack {plan.stack} ({mode}): {plan.source} -> {plan.target}; "
        f"fence by {plan.fence_method}; promotion by {plan.promotion}"
    )
    checks = Table(title="Preconditions (read now)", show_edge=False)
    for column in ("check", "expected", "found", "result"):
        checks.add_column(column, overflow="fold")
    for check in preview.checks:
        verdict = "ok" if check.ok else ("[bold red]FAILED[/]" if check.blocking else "[yellow]note[/]")
        checks.add_row(
            check.name, check.expected, check.actual, verdict + (f": {check.reason}" if check.reason else "")
        )
    console.print(checks)
    steps = Table(title="Plan", show_edge=False)
    for column in ("#", "step", "region", "API calls"):
        steps.add_column(column, overflow="fold")
    for step in plan.steps:
        steps.add_row(step.id[:2], step.title, step.region, "\n".join(step.api_calls))
    console.print(steps)


def _progress(event: str, step: Any, seconds: float) -> None:
    """One line per step as the drill runs: an operator watching a failover must see where it is."""
    if event == "start":
        console.print(f"  [bold]{step.id[:2]}[/] {step.title} ({step.region}) ...")
    elif event == "done":
        console.print(f"  [green]ok[/] {step.id[:2]} in {seconds:.1f} s")
    else:
        console.print(f"  [dim]{step.id[:2]} {step.title}: already completed, skipped[/]")


def _finish(result: Any, json_path: Path, md_path: Path) -> None:
    report = json.loads(json_path.read_text(encoding="utf-8"))
    rto, rpo = report.get("rto") or {}, report.get("rpo") or {}
    lost = rpo.get("committedWritesLost")
    console.print(
        f"drill {report['drillId']}: [bold]{result.status}[/]"
        + (f" ({result.reason})" if result.reason else "")
        + f"; writer {((report.get('writerBefore') or {}).get('region'))} -> "
        f"{((report.get('writerAfter') or {}).get('region'))}"
        + (f"; RTO {rto['seconds']:.3f} s" if rto.get("seconds") is not None else "")
        + (f"; RPO {lost} committed writes lost" if lost is not None else "; RPO not measured")
    )
    console.print(f"evidence: {json_path}\n          {md_path}")
    if result.status == "aborted":
        console.print(
            f"resume with: finstack drill {report['drill']} --stack {report['stack']} --resume {json_path.parent}"
        )
    if result.status != "completed":
        sys.exit(1)


COMMANDS = [drill]
