"""`finstack preflight` and the real-mode gate of `finstack up`: the landing zone's services are on.

Only for `finstack:security.accountServices: landing-zone` (the stack then declares none of the
account-level services). Exit status: 0 all on (or nothing to verify), 1 something missing (each
named, per region), 2 usage/config error. Read-only: list/describe/get calls only
(finstack/preflight/gateway.py PERMISSIONS).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from finstack.preflight.runner import PreflightReport

console = Console(highlight=False)

SessionFactory = Callable[[], Any]


def _default_session() -> Any:
    import boto3

    return boto3.Session()


def landing_zone_report(config: Any, session_factory: SessionFactory = _default_session) -> PreflightReport | None:
    """The preflight of a landing-zone stack; None when the stack declares its own account services."""
    if config.security.account_services != "landing-zone":
        return None
    from finstack.preflight.gateway import AccountServicesGateway
    from finstack.preflight.runner import verify

    session = session_factory()
    return verify((cell.name for cell in config.regions), lambda region: AccountServicesGateway(session, region))


def print_report(report: PreflightReport, out: Console = console) -> None:
    """One line per missing service, or that everything is on (`finstack check` prints it on stderr)."""
    if report.ok:
        out.print(f"landing zone: every account-level service is on in {', '.join(report.regions)}")
        return
    out.print("[red]landing zone: account-level services missing[/] (accountServices: landing-zone):")
    for missing in report.missing:
        out.print(f"  {missing.line()}", markup=False)


def require_landing_zone(config: Any, session_factory: SessionFactory = _default_session) -> None:
    """Exit 1, naming what is missing, when a landing-zone stack's account lacks a service."""
    report = landing_zone_report(config, session_factory)
    if report is None:
        return
    print_report(report)
    if not report.ok:
        sys.exit(1)


@click.command()
@click.option("--stack", "-s", required=True, metavar="STACK", help="Stack name: reads Pulumi.<STACK>.yaml.")
def preflight(stack: str) -> None:
    """Verify the landing zone has GuardDuty, Security Hub, Config, a trail and Macie on in every region.

    Blast radius: none (read-only calls in the account of your current credentials, or the
    emulator at AWS_ENDPOINT_URL). Exit 0 = all on or accountServices is stack, 1 = something missing.
    """
    from finstack.project import load_stack

    config = load_stack(stack).validated()
    if config.security.account_services != "landing-zone":
        console.print(f"stack {stack}: accountServices is stack; the stack declares them, nothing to verify")
        return
    require_landing_zone(config)
