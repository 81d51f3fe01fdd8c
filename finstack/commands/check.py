"""`finstack check`: parse, run the check, print the report, exit 0 / 1 / 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from finstack.check.formats import FORMATS
from finstack.errors import UsageError

err_console = Console(stderr=True, highlight=False)


@click.command()
@click.option("--stack", "-s", required=True, metavar="STACK", help="Stack name: reads Pulumi.<STACK>.yaml.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json per the report contract, sarif for GitHub code scanning.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE instead of stdout (the summary line still goes to stderr).",
)
@click.option(
    "--policy-pack",
    "pack_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="CrossGuard pack folder (PulumiPolicy.yaml).  [default: <project>/policy]",
)
@click.option(
    "--policy-pack-config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Policy config in the Pulumi CLI's format.  [default: <pack>/config.<STACK>.json]",
)
@click.option(
    "--export",
    "export_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Check this plan export (finstack preview --json) instead of running the program.",
)
@click.option(
    "--preflight",
    is_flag=True,
    help=(
        "Also verify that a landing-zone stack's account has the account-level services on "
        "(finstack preflight): read-only calls with your AWS credentials, or the emulator at AWS_ENDPOINT_URL."
    ),
)
def check(
    *,
    stack: str,
    fmt: str,
    output: Path | None,
    pack_dir: Path | None,
    config_file: Path | None,
    export_file: Path | None,
    preflight: bool,
) -> None:
    """Check the stack's plan against the policy pack, offline.

    Runs the program under mocks (or reads --export), starts the pack as `pulumi preview
    --policy-pack` does and speaks the analyzer protocol to it. Reads only: nothing is
    deployed, no AWS call is made (unless --preflight). Exit status 0 = no mandatory violation
    (and, with --preflight, every landing-zone service on), 1 = mandatory violations or a missing
    service, 2 = bad input (flag, file, pack or policy config).
    """
    # Loaded here, not at import: gRPC and the Pulumi protos cost ~0.4 s on every `finstack` call.
    from finstack.check.runner import check_stack

    if output is not None and not output.resolve().parent.is_dir():
        raise UsageError(f"--output {output}: directory {output.parent} does not exist; create it first")
    # Validated before the check runs, so a bad stack config stops both with one message (exit 2).
    landing_zone = _validated_config(stack) if preflight else None
    with err_console.status(f"finstack check --stack {stack}"):
        outcome = check_stack(stack, fmt, pack_dir, config_file, export_file)
    if output is None:
        click.echo(outcome.rendered, nl=False)
    else:
        output.write_text(outcome.rendered, encoding="utf-8")
    if output is not None or fmt != "text":
        err_console.print(outcome.summary, markup=False, soft_wrap=True)
    exit_code = outcome.report.exit_code
    if landing_zone is not None:
        exit_code = max(exit_code, _preflight_exit_code(stack, landing_zone))
    sys.exit(exit_code)


def _validated_config(stack: str) -> Any:
    from finstack.project import load_stack

    return load_stack(stack).validated()


def _preflight_exit_code(stack: str, config: Any) -> int:
    """1 when the landing zone lacks an account-level service (each named on stderr), else 0."""
    from finstack.commands.preflight import landing_zone_report, print_report

    report = landing_zone_report(config)
    if report is None:
        err_console.print(f"stack {stack}: accountServices is stack; the stack declares them, nothing to verify")
        return 0
    print_report(report, err_console)
    return 0 if report.ok else 1
