"""Readable summaries of a program run: resources per region, per component, per type."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from finstack.engine.recording import STACK_TYPE
from finstack.engine.runner import ProgramRun


def top_component(run: ProgramRun) -> dict[str, str]:
    """URN -> name of the top-level component it belongs to ("(stack)" for direct children)."""
    by_urn = {r.urn: r for r in run.records}
    owner: dict[str, str] = {}
    for record in run.records:
        current = record
        while current.parent and current.parent in by_urn and by_urn[current.parent].type != STACK_TYPE:
            current = by_urn[current.parent]
        owner[record.urn] = (
            f"{current.name} ({current.type})" if current is not record or not record.custom else "(stack)"
        )
    return owner


def print_summary(console: Console, run: ProgramRun) -> None:
    """Print resources per region, per top-level component, and counts by type."""
    custom = [r for r in run.records if r.custom]
    components = [r for r in run.records if not r.custom and r.type != STACK_TYPE]
    console.print(
        f"[bold]{run.project}/{run.stack}[/]: {len(custom)} resources, {len(components)} components, "
        f"{len(run.config.regions)} region(s), environment {run.config.environment}"
    )

    regions = Counter(r.region or "(global/none)" for r in custom)
    table = Table(title="Resources per region", show_edge=False)
    table.add_column("region")
    table.add_column("resources", justify="right")
    for region, count in sorted(regions.items()):
        table.add_row(region, str(count))
    console.print(table)

    owner = top_component(run)
    per_component = Counter(owner[r.urn] for r in custom)
    table = Table(title="Resources per component", show_edge=False)
    table.add_column("component")
    table.add_column("resources", justify="right")
    for name, count in sorted(per_component.items()):
        table.add_row(name, str(count))
    console.print(table)

    types = Counter(r.type for r in custom)
    table = Table(title="Resources by type", show_edge=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    for name, count in sorted(types.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(name, str(count))
    table.add_row("[bold]total[/]", f"[bold]{len(custom)}[/]")
    console.print(table)
