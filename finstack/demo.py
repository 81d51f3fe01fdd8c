"""`make demo`: walk through what finstack does, offline, end to end.

Each step runs the real `finstack` command line in this process and stops the demo at the
first failure with that step's exit status.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.rule import Rule

from finstack.cli import main as cli

console = Console(highlight=False)

STEPS: list[tuple[str, list[str]]] = [
    ("Preview the dev stack offline (Pulumi mock runtime, no AWS)", ["preview", "--stack", "dev"]),
    (
        "Preview the prod stack and write the plan export",
        ["preview", "--stack", "prod", "--json", ".finstack/prod/plan.json"],
    ),
    ("Policy-check dev (CrossGuard pack over the analyzer protocol)", ["check", "--stack", "dev"]),
    (
        "Policy-check prod, SARIF for code scanning",
        ["check", "--stack", "prod", "--format", "sarif", "--output", ".finstack/prod/finstack.sarif"],
    ),
    ("Policy-check prod (text)", ["check", "--stack", "prod"]),
    (
        "Deploy prod into the embedded AWS emulator (and arm its routing controls)",
        ["up", "--stack", "prod", "--emulate"],
    ),
    (
        "Check the platform is armed: every routing control On, read back from two Regions (dry run)",
        ["arm", "--stack", "prod", "--emulate"],
    ),
    (
        "Plan a switchover (dry run: reads state, changes nothing)",
        ["drill", "switchover", "--stack", "prod", "--emulate"],
    ),
    (
        "Execute the planned switchover us-east-1 -> us-west-2",
        ["drill", "switchover", "--stack", "prod", "--emulate", "--execute", "--yes"],
    ),
    (
        "Fail back to us-east-1 and restore capacity",
        ["drill", "failback", "--stack", "prod", "--emulate", "--execute", "--yes"],
    ),
]


def run_step(title: str, argv: list[str]) -> None:
    """Run one CLI invocation, exiting the demo if it fails."""
    console.print(Rule(f"[bold]{title}[/]"))
    console.print(f"$ finstack {' '.join(argv)}", style="dim")
    try:
        cli.main(args=argv, prog_name="finstack", standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            sys.exit(exit_.code)


def main() -> None:
    """Run every demo step in order."""
    from pathlib import Path

    Path(".finstack/prod").mkdir(parents=True, exist_ok=True)
    drills = Path(".finstack/prod/drills")
    earlier = set(drills.glob("*/report.md"))  # evidence of earlier runs stays, but is not this run's
    for title, argv in STEPS:
        run_step(title, argv)
    console.print(Rule("[bold green]demo complete[/]"))
    for report in sorted(set(drills.glob("*/report.md")) - earlier):
        console.print(f"drill evidence: {report} (and {report.with_name('report.json')})")


if __name__ == "__main__":
    main()
