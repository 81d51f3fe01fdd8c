"""`finstack`: the thin command line over finstack's runners (parse, print, exit code).

Exit status: 0 success, 1 the operation found a problem (policy violation, refused drill),
2 bad input (flag, file, config), with one message naming the value and the fix.
"""

from __future__ import annotations

import importlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from finstack import __version__
from finstack.errors import ProgramError, UsageError

F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED_EXIT_CODE = 128 + signal.SIGINT  # Ctrl-C, as a shell reports it

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)


def quiet_libraries() -> None:
    """botocore, moto and grpc talk too much for an operator's terminal."""
    for name in ("botocore", "boto3", "urllib3", "moto", "werkzeug", "grpc", "pulumi"):
        logging.getLogger(name).setLevel(logging.WARNING)


def exit_cleanly_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM (a cancelled or timed-out CI job, `kill`) unwind like Ctrl-C does; returns the undo.

    Python's default SIGTERM ends the process on the spot: no `finally`, no `with` exit. The
    policy pack processes run in their own process group (so that a Ctrl-C reaches finstack
    first) and would outlive finstack for good, and a drill could not save its journal. As a
    SystemExit, the signal runs every cleanup on the way out; the exit status is the shell's
    128 + 15. The undo puts the previous handler back (for a process that runs finstack's CLI
    in-process, such as the tests).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # only the main thread may install handlers

    def leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)

    def undo() -> None:
        signal.signal(signal.SIGTERM, previous)

    return undo


def stack_option(func: F) -> F:
    """`--stack S`: the Pulumi stack whose Pulumi.<S>.yaml to use."""
    return click.option("--stack", "-s", required=True, metavar="STACK", help="Stack name: reads Pulumi.<STACK>.yaml.")(
        func
    )


# Subcommands that live in their own modules, imported only when used: `drill` alone pulls in
# boto3 (~0.4 s), which `preview` and `check` have no use for.
LAZY_COMMANDS = {
    "check": "finstack.commands.check:check",
    "up": "finstack.commands.emulate:up",
    "destroy": "finstack.commands.emulate:destroy",
    "emulator": "finstack.commands.emulate:emulator",
    "drill": "finstack.commands.drill:drill",
    "arm": "finstack.commands.arm:arm",
    "preflight": "finstack.commands.preflight:preflight",
}


class FinstackGroup(click.Group):
    """Turns UsageError into one line and exit 2, everywhere, without a traceback.

    `lazy_commands` maps a subcommand's name to `module:attribute`, imported on first use.
    """

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand's name, loaded or not (for --help)."""
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand, importing its module the first time it is asked for."""
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module, attribute = self.lazy_commands[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

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
        except KeyboardInterrupt:
            # Everything on the way here has cleaned up. Exit with the shell's 128 + SIGINT, not
            # click's 1, which CI would read as "the operation found a problem".
            err_console.print("interrupted", soft_wrap=True)
            sys.exit(INTERRUPTED_EXIT_CODE)


@click.group(cls=FinstackGroup, lazy_commands=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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
    click.get_current_context().call_on_close(exit_cleanly_on_sigterm())


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


if __name__ == "__main__":
    main()
