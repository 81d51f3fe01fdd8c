"""`finstack`: the thin command line over finstack's runners (parse, print, exit code).

Exit status: 0 success, 1 the operation found a problem (policy violation, refused drill),
2 bad input (flag, file, config), with one message naming the value and the fix.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from finstack import __version__
from finstack.errors import ProgramError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)


def quiet_libraries() -> None:
    """botocore, moto and grpc talk too much for an operator's terminal."""
    for name in ("botocore", "boto3", "urllib3", "moto", "werkzeug", "grpc", "pulumi"):
        logging.getLogger(name).setLevel(logging.WARNING)


def stack_option(func: F) -> F:
    """`--stack S`: the Pulumi stack whose Pulumi.<S>.yaml to use."""
    return click.option("--stack", "-s", required=True, metavar="STACK", help="Stack name: reads Pulumi.<STACK>.yaml.")(
        func
    )


class FinstackGroup(click.Group):
    """Turns UsageError into one line and exit 2, everywhere, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, mapping finstack's errors to exit codes."""
        try:
            return super().invoke(ctx)
        except UsageError as err:
            for line in str(err).splitlines():
                err_console.print(f"[bold red]error:[/] {line}", markup=True, soft_wrap=True)
            sys.exit(UsageError.exit_code)
        except ProgramError as err:
            # The stack program itself failed (a component refused its inputs): its message, no traceback.
            err_console.print(f"[bold red]error:[/] the stack program failed: {err}", markup=True, soft_wrap=True)
            sys.exit(1)


@click.group(cls=FinstackGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="finstack")
@click.option("--verbose", "-v", is_flag=True, help="Log debug detail to stderr.")
def main(verbose: bool) -> None:
    """finstack: a multi-region active-active AWS platform for financial services.

    Offline (no Pulumi CLI, no AWS account): `preview` runs the stack program under
    Pulumi's mock runtime. Exit status 0 = ok, 1 = problems found, 2 = bad input.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    quiet_libraries()


@main.command()
@stack_option
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the plan export (every resource with inputs, options, region, source) to FILE.",
)
def preview(stack: str, json_file: Path | None) -> None:
    """Run the stack program offline and summarise what it declares.

    Changes nothing anywhere: no Pulumi CLI, no AWS calls. The JSON export is what
    `finstack check` feeds the policy pack.
    """
    from finstack.engine.export import plan_export
    from finstack.engine.runner import run_program
    from finstack.project import load_stack
    from finstack.summary import print_summary

    files = load_stack(stack)
    if json_file is not None and json_file.parent and not json_file.parent.resolve().is_dir():
        raise UsageError(f"--json {json_file}: directory {json_file.parent} does not exist; create it first")
    run = run_program(files)
    print_summary(console, run)
    if json_file is not None:
        document = plan_export(run, files.project_dir)
        json_file.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        console.print(f"plan export: {json_file} ({len(document['resources'])} resources)")


def _add_commands() -> None:
    """Subcommands that live in their own modules."""
    from finstack.commands.check import check
    from finstack.commands.drill import drill
    from finstack.commands.emulate import destroy, emulator, up

    for command in (check, up, destroy, emulator, drill):
        main.add_command(command)


_add_commands()

if __name__ == "__main__":
    main()
