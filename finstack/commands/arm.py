"""`finstack arm --stack S [--emulate] [--execute] [--yes]`: turn every cell's routing control On.

The logic lives in `finstack.drills.arm` (over the drill session and gateway, as the DR
automation role); this module parses, confirms, prints and sets the exit status: 0 every cell is
armed (or the stack has no ARC: nothing to arm), 1 not armed (a dry run that found a cell Off, or
a read-back that did not confirm On), 2 bad input.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table

from finstack.drills import errors
from finstack.drills import session as drill_session
from finstack.drills.arm import ArmResult
from finstack.drills.arm import arm as arm_stack
from finstack.errors import UsageError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

BLAST_RADIUS = """
Blast radius with --execute: the stack's ARC routing controls, one per cell, are turned On (those
already On are left alone), through the ARC cluster's data-plane endpoints - in the AWS account of
your credentials, or only in the emulator with --emulate. Every cell then takes traffic from
api.<domain> while its endpoint is healthy. Without --execute nothing is changed: each cell's state
is read and what arming would change is printed.
"""


@click.command(epilog=BLAST_RADIUS)
@click.option("--stack", "-s", required=True, metavar="STACK", help="Stack whose `dr` output names the controls.")
@click.option("--execute", is_flag=True, help="Turn the controls On. Without it: a dry run that only reads.")
@click.option("--emulate", is_flag=True, help="Arm the emulated stack (in-process, or AWS_ENDPOINT_URL).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (automation).")
def arm(stack: str, execute: bool, emulate: bool, yes: bool) -> None:
    """Arm the DR control plane after `up`: every cell's ARC routing control On, read back from two Regions.

    ARC creates routing controls Off; until they are On, Route 53 fails open to every cell and a
    drill's fence has no effect, so the drills refuse to start. Exit 0: armed (or no ARC); 1: not.
    """
    from finstack.commands.drill import stack_setup

    try:
        setup, _ = stack_setup(stack, emulate, arm_after_deploy=False)
        if execute and setup.document.arc:
            target = (
                "the emulated account" if setup.mode == "emulator" else "the AWS account of your current credentials"
            )
            console.print(f"About to turn every routing control of stack {stack} On in {target}.")
            if not yes and not click.confirm("Continue?", default=False):
                raise UsageError("not confirmed; nothing was changed (pass --yes in automation)")
        armed = arm_and_print(setup, execute=execute)
    except (errors.DocumentError, errors.NotEmulated) as err:
        raise UsageError(str(err)) from None
    except errors.DrillError as err:
        err_console.print(f"[bold red]error:[/] {err}")
        sys.exit(1)
    if not armed:
        sys.exit(1)


def arm_and_print(setup: drill_session.DrillSetup, *, execute: bool) -> bool:
    """Arm (or with `execute` False, only inspect) `setup`'s stack, print the result; whether it is armed."""
    result = arm_stack(setup, execute=execute)
    print_result(result)
    return result.armed


def print_result(result: ArmResult) -> None:
    """One row per cell (state found, change, read-back per endpoint Region) and the verdict."""
    if not result.arc:
        console.print(f"stack {result.stack} has no ARC routing controls: nothing to arm")
        return
    table = Table(title=f"Routing controls of stack {result.stack}", show_edge=False)
    for column in ("cell", "found", "change", "read back", "result"):
        table.add_column(column, overflow="fold")
    for cell in result.cells:
        read = ", ".join(f"{region}={state}" for region, state in cell.read_back) or "no endpoint answered"
        verdict = "[green]ARMED[/]" if cell.armed else "[bold red]NOT ARMED[/]"
        table.add_row(cell.region, cell.before or "unknown", cell.change, read, verdict)
    console.print(table)
    if result.armed:
        console.print(f"stack {result.stack}: armed (every routing control read back On from two Regions)")
    elif result.executed:
        console.print(f"stack {result.stack}: [bold red]not armed[/]: a read-back did not confirm On")
    else:
        console.print(
            f"dry run: nothing was changed; stack {result.stack} is [bold red]not armed[/] "
            f"(run `finstack arm --stack {result.stack} --execute`)"
        )
