"""Query helpers over a recorded offline run, for assertions that name the URN."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from finstack.engine.recording import ResourceRecord
from finstack.engine.runner import ProgramRun, run_program
from finstack.project import StackFiles, load_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plan:
    """A program run with lookups by type, name, region and parent."""

    run: ProgramRun

    def __iter__(self) -> Iterator[ResourceRecord]:
        return iter(self.run.records)

    @property
    def by_urn(self) -> dict[str, ResourceRecord]:
        return {r.urn: r for r in self.run.records}

    def of_type(self, type_: str, region: str | None = None) -> list[ResourceRecord]:
        """Every resource of `type_` (optionally only in `region`)."""
        return [r for r in self.run.records if r.type == type_ and (region is None or r.region == region)]

    def named(self, name: str) -> ResourceRecord:
        """The one resource with logical name `name`."""
        found = [r for r in self.run.records if r.name == name]
        assert len(found) == 1, f"expected one resource named {name!r}, found {[r.urn for r in found]}"
        return found[0]

    def where(self, predicate: Callable[[ResourceRecord], bool]) -> list[ResourceRecord]:
        return [r for r in self.run.records if predicate(r)]

    def children_of(self, parent: ResourceRecord) -> list[ResourceRecord]:
        return [r for r in self.run.records if r.parent == parent.urn]

    def referencing(self, target: ResourceRecord, attribute: str = "id") -> list[ResourceRecord]:
        """Resources whose inputs contain `target`'s id/arn anywhere."""
        value = target.id if attribute == "id" else target.outputs.get(attribute)
        return [r for r in self.run.records if r is not target and _contains(r.inputs, value)]

    @property
    def outputs(self) -> dict[str, Any]:
        return self.run.outputs

    @property
    def regions(self) -> list[str]:
        return [r.name for r in self.run.config.regions]


def _contains(value: Any, needle: Any) -> bool:
    if value == needle:
        return True
    if isinstance(value, dict):
        return any(_contains(v, needle) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains(v, needle) for v in value)
    if isinstance(value, str) and isinstance(needle, str) and needle:
        return needle in value
    return False


@cache
def shipped_plan(stack: str) -> Plan:
    """The shipped stack file, run once per test session (runs are deterministic)."""
    return Plan(run_program(load_stack(stack, PROJECT_DIR)))


def plan_with(stack: str, edit: Callable[[dict[str, Any]], None]) -> Plan:
    """Run the program with a copy of Pulumi.<stack>.yaml's config changed by `edit`."""
    files = load_stack(stack, PROJECT_DIR)
    raw = copy.deepcopy(files.raw_config)
    edit(raw)
    changed = StackFiles(files.project_dir, files.project, files.stack, files.config_file, raw)
    return Plan(run_program(changed))


def shipped_config(stack: str) -> Any:
    """The validated StackConfig of a shipped stack file."""
    return load_stack(stack, PROJECT_DIR).validated()


def plan_of(func: Callable[[], None], stack: str = "prod") -> Plan:
    """Run `func` (e.g. one component with literal inputs) under the recording mocks."""
    from finstack.engine.runner import run_callable

    return Plan(run_callable(func, shipped_config(stack)))
