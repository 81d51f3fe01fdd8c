"""`finstack up`, `finstack destroy` and `finstack emulator serve`.

With `--emulate` the real program is deployed into the embedded AWS emulator (or the one
`AWS_ENDPOINT_URL` points at). Without it, up/destroy hand over to the Pulumi CLI through
the Automation API, exactly as `pulumi up -s STACK` would run.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from finstack.errors import UsageError

console = Console(highlight=False)


def _stack_option(func):  # type: ignore[no-untyped-def]
    return click.option("--stack", "-s", required=True, metavar="STACK", help="Stack name: reads Pulumi.<STACK>.yaml.")(
        func
    )


def _emulate_option(func):  # type: ignore[no-untyped-def]
    return click.option(
        "--emulate",
        is_flag=True,
        help="Use the embedded AWS emulator (or the one at AWS_ENDPOINT_URL) instead of real AWS.",
    )(func)


def _pulumi_cli(stack: str, project_dir: Path) -> object:
    """The Automation API stack for real deployments; a clear message when the CLI is missing."""
    if shutil.which("pulumi") is None:
        raise UsageError(
            "the Pulumi CLI is not installed: install it (https://www.pulumi.com/docs/install/) and run "
            "`pulumi login`, or add --emulate to use the embedded AWS emulator"
        )
    from pulumi import automation

    return automation.select_stack(stack_name=stack, work_dir=str(project_dir))


def _confirm(action: str, yes: bool) -> None:
    """Real AWS changes need a yes: from the operator at the prompt, or --yes in automation."""
    console.print(f"About to {action}.")
    if not yes and not click.confirm("Continue?", default=False):
        raise UsageError("not confirmed; nothing was changed (pass --yes in automation)")


@click.command()
@_stack_option
@_emulate_option
@click.option("--yes", is_flag=True, help="Real mode: do not ask for confirmation (automation).")
def up(stack: str, emulate: bool, yes: bool) -> None:
    """Deploy the stack.

    Blast radius: with --emulate, only the emulated account (nothing leaves this machine);
    without it, the real AWS account of your credentials, through `pulumi up`.
    Writes .finstack/<STACK>/outputs.json (the `dr` document drills read) with --emulate, and
    after a first emulated deploy arms the stack (`finstack arm --execute`: every routing control On).
    """
    from finstack.project import load_stack

    files = load_stack(stack)
    if not emulate:
        from finstack.commands.preflight import require_landing_zone

        # A landing-zone stack declares no account-level service: they must be on before it deploys.
        require_landing_zone(files.validated())
        _real_up(stack, files.project_dir, yes)
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from finstack.emulator import session as emulator
    from finstack.emulator.deploy import up as emulated_up
    from finstack.emulator.mocks import EmulationError

    files.validated()
    active = emulator.start()
    console.print(f"emulator: {active.endpoint}   stack: {stack}   account: {active.gateway.account_id()}")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True) as progress:
        task = progress.add_task("deploying", total=None)
        count = Counter[str]()

        def tick(entry: object) -> None:
            count["n"] += 1
            progress.update(task, description=f"deploying: {count['n']} resources ({getattr(entry, 'type', '')})")

        try:
            report = emulated_up(files, active, on_resource=tick)
        except EmulationError as err:
            console.print(f"[red]error:[/] the emulator could not create {err}", soft_wrap=True)
            raise SystemExit(1) from None
    _print_up(report)
    if created_routing_controls(report):
        arm_emulated(stack, report.outputs_file, None if active.in_process else active.endpoint)


#: Pulumi type of an ARC routing control: a deploy that creates one leaves it Off, as ARC does.
ROUTING_CONTROL_TYPE = "aws:route53recoverycontrol/routingControl:RoutingControl"


def created_routing_controls(report: object) -> bool:
    """Whether this emulated `up` created routing controls (a first deploy: they are Off, unarmed).

    A later `up` leaves the controls as they are: a drill may have fenced a cell on purpose.
    """
    return any(getattr(entry, "type", "") == ROUTING_CONTROL_TYPE for entry in getattr(report, "created", []))


def arm_emulated(stack: str, outputs_file: Path, endpoint_url: str | None) -> None:
    """Arm the emulated stack after its first deploy, as the DR automation role (README, Real deployment step 4).

    The emulator creates routing controls Off, as ARC does; a real `up` leaves arming to the
    operator (`finstack arm --stack S --execute`), the emulated one does it so drills can follow.
    Exits 1 when a cell could not be armed.
    """
    from finstack.commands.arm import arm_and_print
    from finstack.drills import dr, errors
    from finstack.drills import session as drill_session

    try:
        document = dr.load_file(outputs_file)
        if not document.arc:
            return
        console.print(f"arming stack {stack}: every cell's routing control On (ARC creates them Off)")
        armed = arm_and_print(drill_session.emulated(stack, document, endpoint_url=endpoint_url), execute=True)
    except errors.DrillError as err:
        console.print(f"[red]error:[/] arming stack {stack} failed: {err}", soft_wrap=True)
        raise SystemExit(1) from None
    if not armed:
        raise SystemExit(1)


def apply_rendered(project_dir: Path, outputs: dict[str, object], gateway: object) -> list[object]:
    """In-cluster layer: each cell's runner applies what `pulumi up` rendered, from inside its VPC."""
    from finstack.incluster.bundle import BundleError, from_rendered_dir
    from finstack.incluster.driver import Gateway, cells_of, deliver

    assert isinstance(gateway, Gateway)
    outcomes: list[object] = []
    for cell in cells_of(outputs):
        try:
            bundle = from_rendered_dir(project_dir / cell.manifest_dir)
        except BundleError as err:
            raise UsageError(str(err)) from None
        console.print(
            f"in-cluster layer {cell.region}: waiting for runner {cell.project_name} "
            f"(CodeBuild, inside the VPC) to apply {len(bundle.objects)} objects"
        )
        outcomes.append(deliver(gateway, cell, bundle))
    return outcomes


def _print_in_cluster(outcomes: Sequence[object]) -> None:
    """One line per cell; a failed apply ends the command with status 1 and the build's last log lines."""
    from finstack.incluster.driver import RunnerOutcome

    failed = False
    for outcome in outcomes:
        assert isinstance(outcome, RunnerOutcome)
        colour = "green" if outcome.succeeded else "red"
        console.print(
            f"in-cluster {outcome.region}: [{colour}]{outcome.status}[/] "
            f"({outcome.objects} objects, build {outcome.build_id})",
            soft_wrap=True,
        )
        for line in outcome.log_tail:
            console.print(f"  | {line}", soft_wrap=True)
        failed = failed or not outcome.succeeded
    if failed:
        raise SystemExit(1)


def _real_up(stack: str, project_dir: Path, yes: bool, select: Callable[[str, Path], object] = _pulumi_cli) -> None:
    """`pulumi up` through the Automation API, the delegation the new zone needs, then the in-cluster layer."""
    target = select(stack, project_dir)
    _confirm(f"deploy stack {stack} to the AWS account of your current credentials", yes)
    console.print("platform layer: `pulumi up` from here (outside the VPC); Kubernetes objects are rendered")
    # The same gate as `pulumi up --policy-pack policy --policy-pack-config policy/config.<stack>.json`.
    result = target.up(  # type: ignore[attr-defined]
        on_output=console.print,
        policy_packs=[str(project_dir / "policy")],
        policy_pack_configs=[str(project_dir / "policy" / f"config.{stack}.json")],
    )
    outputs = {name: getattr(value, "value", None) for name, value in getattr(result, "outputs", {}).items()}
    _print_dns(outputs.get("dns"))
    if outputs.get("inCluster"):
        import boto3

        from finstack.emulator.gateway import AwsGateway

        _print_in_cluster(apply_rendered(project_dir, outputs, AwsGateway(boto3.Session())))


def delegation_lines(dns: Mapping[str, Any] | None) -> list[str]:
    """What the operator must do about DNS, from the `dns` stack output (README, docs/delegation.md)."""
    if not dns:
        return []
    domain, zone = dns["domain"], dns["zoneId"]
    if not dns.get("zoneCreated"):
        lines = [
            f"dns: {domain} uses the existing zone {zone} (finstack:traffic.hostedZoneId); its delegation is yours"
        ]
    else:
        lines = [f"dns: {domain} is served by the zone {zone} this stack created; the parent zone must delegate to it:"]
        lines += [f"  {domain}. NS {server.rstrip('.')}." for server in dns.get("nameServers") or []]
    if dns.get("delegationVerified"):
        lines.append("dns: delegation verified (ACM issued the certificates through public DNS)")
    else:
        lines.append(
            "dns: certificateValidation is defer: no HTTPS listener yet; once the NS records are in the parent "
            "zone, set finstack:traffic.certificateValidation: wait and run up again (docs/delegation.md)"
        )
    if dns.get("dsRecord"):
        # The chain of trust comes last: only after the delegation resolves and the signed zone's
        # TTLs have passed (Route 53 Developer Guide, "Enabling DNSSEC signing and establishing a chain of trust").
        lines.append(
            "dns: the zone is DNSSEC-signed; once the delegation resolves and the zone's largest TTL has passed, "
            f"publish in the parent zone: {domain}. DS {dns['dsRecord']} (docs/delegation.md)"
        )
    return lines


def _print_dns(dns: Mapping[str, Any] | None) -> None:
    for line in delegation_lines(dns):
        console.print(line, soft_wrap=True)


def _print_up(report: object) -> None:
    from finstack.emulator.deploy import UpReport

    assert isinstance(report, UpReport)
    table = Table(title="Emulated resources per region and type", show_edge=False)
    table.add_column("region")
    table.add_column("type")
    table.add_column("count", justify="right")
    per = Counter((e.region, e.type) for e in report.created + report.reused)
    for (region, type_), count in sorted(per.items()):
        table.add_row(region, type_, str(count))
    console.print(table)
    if report.recorded_only:
        kinds = Counter(e.type for e in report.recorded_only)
        console.print(
            f"[yellow]not emulated[/] (recorded with deterministic outputs, {len(report.recorded_only)} resources): "
            + ", ".join(f"{t} x{n}" for t, n in sorted(kinds.items()))
        )
    console.print(
        f"created {len(report.created)}, already present {len(report.reused)}, not emulated {len(report.recorded_only)}"
    )
    console.print(f"outputs: {report.outputs_file}\nstate:   {report.state_file}")
    _print_dns(report.run.outputs.get("dns"))
    _print_in_cluster(list(report.in_cluster))


@click.command()
@_stack_option
@_emulate_option
@click.option("--yes", is_flag=True, help="Real mode: do not ask for confirmation (automation).")
def destroy(stack: str, emulate: bool, yes: bool) -> None:
    """Tear the stack down.

    Blast radius: with --emulate, only the emulated account; without it, every resource of
    the stack in the real AWS account, through `pulumi destroy` (deletion protection and
    Pulumi `protect` still apply there).
    """
    from finstack.project import load_stack

    files = load_stack(stack)
    if not emulate:
        target = _pulumi_cli(stack, files.project_dir)
        _confirm(f"destroy every resource of stack {stack} in the AWS account of your current credentials", yes)
        target.destroy(on_output=console.print)  # type: ignore[attr-defined]
        return
    from finstack.emulator import session as emulator
    from finstack.emulator.deploy import destroy as emulated_destroy

    active = emulator.start()
    report = emulated_destroy(files, active)
    console.print(
        f"deleted {len(report.deleted)}, released without a call {len(report.forgotten)}, failed {len(report.failed)}"
    )
    for entry, error in report.failed:
        console.print(f"[red]failed[/] {entry.type} {entry.name} ({entry.region}): {error}")
    if report.failed:
        raise SystemExit(1)


@click.group()
def emulator() -> None:
    """The embedded AWS emulator (moto with finstack's extensions)."""


@emulator.command()
@click.option("--port", default=4566, show_default=True, type=click.IntRange(1024, 65535), help="Port on 127.0.0.1.")
def serve(port: int) -> None:
    """Serve the emulator on 127.0.0.1:PORT until interrupted.

    Point commands at it with AWS_ENDPOINT_URL=http://127.0.0.1:PORT: `finstack up --emulate`,
    `finstack drill ... --emulate`, plain boto3 or the AWS CLI then share one emulated account.
    """
    from finstack.emulator.server import serve as serve_forever

    console.print(f"finstack emulator on http://127.0.0.1:{port} (Ctrl-C to stop)")
    serve_forever(port)


COMMANDS = [up, destroy, emulator]
