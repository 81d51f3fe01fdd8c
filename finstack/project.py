"""Locate the Pulumi project and read a stack's config file (no Pulumi CLI needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from finstack.errors import UsageError
from infra.config import ConfigError, StackConfig, load_stack_config

PROJECT_FILE = "Pulumi.yaml"


@dataclass(frozen=True)
class StackFiles:
    """A stack's identity and the files it is built from."""

    project_dir: Path
    project: str
    stack: str
    config_file: Path
    raw_config: dict[str, Any]

    def pulumi_config(self) -> dict[str, str]:
        """The config bag as the Pulumi engine hands it to a program: structured values as JSON text."""
        return {key: value if isinstance(value, str) else json.dumps(value) for key, value in self.raw_config.items()}

    def validated(self) -> StackConfig:
        """Validate the config; raise UsageError with one line per problem."""
        try:
            return load_stack_config(self.raw_config)
        except ConfigError as err:
            raise UsageError("\n".join(f"{self.config_file.name}: {problem}" for problem in err.problems)) from None


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest directory holding Pulumi.yaml, from `start` (default: cwd) upwards."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    raise UsageError(f"no {PROJECT_FILE} in {here} or above; run finstack from the project directory")


def load_stack(stack: str, project_dir: Path | None = None) -> StackFiles:
    """Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` into a StackFiles."""
    root = project_dir or find_project_dir()
    project_doc = _read_yaml(root / PROJECT_FILE)
    project = project_doc.get("name") if isinstance(project_doc, dict) else None
    if not isinstance(project, str) or not project:
        raise UsageError(f"{PROJECT_FILE}: 'name' is missing; set name: finstack")
    config_file = root / f"Pulumi.{stack}.yaml"
    if not config_file.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise UsageError(
            f"--stack {stack}: no {config_file.name} in {root}; known stacks: {', '.join(known) or 'none'}"
        )
    doc = _read_yaml(config_file) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        raise UsageError(f"{config_file.name}: expected a mapping with a 'config:' section")
    raw = dict(doc.get("config") or {})
    for key, value in raw.items():
        if isinstance(value, dict) and "secure" in value:
            raise UsageError(
                f"{config_file.name}: {key} is an encrypted secret; "
                "finstack keeps no secrets in stack config, remove it"
            )
    return StackFiles(root, project, stack, config_file, raw)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise UsageError(f"{path.name}:{where}: not valid YAML ({problem}); fix the syntax") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read ({err.strerror})") from None
