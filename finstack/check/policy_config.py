"""The `--policy-pack-config` file, read and reconciled exactly as the Pulumi CLI does.

The CLI (`pulumi preview --policy-pack-config FILE`) parses the file, then reconciles it with
what the pack reports in `GetAnalyzerInfo`: every policy starts at its own enforcement level
plus the `default`s of its config schema, the pack's `initialConfig` is applied, then the
file (a top-level `all` sets every policy's level), and the result is validated against each
policy's config schema before `Configure` sends one `PolicyConfig` per policy.

One deliberate difference: a key that names no policy of the pack is an error here (the CLI
passes it on silently), because a misspelt policy name in a bank's config would silently keep
a policy at its default level.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsonschema
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from finstack.check.report import ENFORCEMENT_LEVELS, EnforcementLevel, Waiver
from finstack.errors import UsageError

ALL_POLICIES = "all"

LEVEL_TO_WIRE: dict[str, int] = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "disabled": analyzer_pb2.DISABLED,
    "remediate": analyzer_pb2.REMEDIATE,
}
WIRE_TO_LEVEL: dict[int, EnforcementLevel] = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}

# The property a policy's config uses to list its exceptions (see `waivers_of`).
WAIVERS_KEY = "waivers"


@dataclass(frozen=True)
class PolicyConfig:
    """One policy's config: an enforcement level (None = keep the current one) and properties."""

    enforcement_level: EnforcementLevel | None
    properties: dict[str, Any] | None

    def to_wire(self) -> analyzer_pb2.PolicyConfig:
        """The protobuf `PolicyConfig` Configure carries (the CLI's marshalMap of the properties)."""
        if self.enforcement_level is None:
            raise ValueError("a reconciled policy config always has an enforcement level")
        properties = struct_pb2.Struct()
        if self.properties:
            properties.update(self.properties)
        return analyzer_pb2.PolicyConfig(
            enforcementLevel=cast(Any, LEVEL_TO_WIRE[self.enforcement_level]), properties=properties
        )


@dataclass(frozen=True)
class PolicySchemaInfo:
    """What reconciliation needs to know about one policy from `GetAnalyzerInfo`."""

    name: str
    enforcement_level: EnforcementLevel
    config_schema: dict[str, Any] | None  # {"properties": {...}, "required": [...]}, None if the pack has none


def load_policy_config(path: Path) -> dict[str, PolicyConfig]:
    """Parse a `--policy-pack-config` file (the CLI's parsePolicyPackConfig); UsageError on bad input."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"--policy-pack-config {path}: no such file; create it (`{{}}` enforces the pack's defaults)"
        ) from None
    except OSError as err:
        raise UsageError(f"--policy-pack-config {path}: cannot read ({err.strerror})") from None
    return parse_policy_config(text, path.name)


def parse_policy_config(text: str, source: str) -> dict[str, PolicyConfig]:
    """Parse config text: `{"policy": "level"}` or `{"policy": {"enforcementLevel": ..., ...}}`."""
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(
            f"{source}: not valid JSON ({err.msg} at line {err.lineno} column {err.colno}); fix the syntax"
        ) from None
    if not isinstance(document, dict):
        raise UsageError(f"{source}: expected a JSON object of policy name -> config, got {type(document).__name__}")
    result: dict[str, PolicyConfig] = {}
    for name, value in document.items():
        if isinstance(value, str):
            level: EnforcementLevel | None = _level(value, name, source)
            properties: dict[str, Any] | None = None
        elif isinstance(value, dict):
            properties = dict(value)
            raw_level = properties.pop("enforcementLevel", None)
            if raw_level is not None and not isinstance(raw_level, str):
                raise UsageError(f"{source}: {name}.enforcementLevel: {raw_level!r} is not a string; {_levels_hint()}")
            level = _level(raw_level, name, source) if raw_level is not None else None
            properties = properties or None
        else:
            raise UsageError(f"{source}: {name}: {value!r} is not a valid value; use a level string or an object")
        if level is None and not properties:
            continue  # the CLI drops empty entries
        result[name] = PolicyConfig(level, properties)
    return result


def _level(value: str, name: str, source: str) -> EnforcementLevel:
    if value not in ENFORCEMENT_LEVELS:
        raise UsageError(f"{source}: {name}: {value!r} is not a valid enforcement level; {_levels_hint()}")
    return cast(EnforcementLevel, value)


def _levels_hint() -> str:
    return "use one of " + ", ".join(ENFORCEMENT_LEVELS)


def reconcile(
    policies: list[PolicySchemaInfo],
    initial_config: Mapping[str, PolicyConfig],
    given: Mapping[str, PolicyConfig],
    pack_label: str,
    source: str,
) -> dict[str, PolicyConfig]:
    """The CLI's ReconcilePolicyPackConfig: defaults, then initialConfig, then the file; validated.

    Raises UsageError naming the file and every problem when the result violates a policy's
    config schema or names a policy the pack does not have.
    """
    known = {p.name for p in policies}
    unknown = sorted(name for name in given if name != ALL_POLICIES and name not in known)
    if unknown:
        raise UsageError(
            f"{source}: {', '.join(unknown)} {'is not a policy' if len(unknown) == 1 else 'are not policies'} "
            f"of pack {pack_label}; known policies: {', '.join(sorted(known))}"
        )
    result: dict[str, PolicyConfig] = {}
    for policy in policies:
        defaults = {
            key: copy.deepcopy(schema["default"])
            for key, schema in ((policy.config_schema or {}).get("properties") or {}).items()
            if isinstance(schema, dict) and "default" in schema
        }
        result[policy.name] = PolicyConfig(policy.enforcement_level, defaults or None)
    result = _apply(result, initial_config)
    result = _apply(result, given)
    problems = _validate(policies, result)
    if problems:
        raise UsageError("\n".join(f"{source}: {problem}" for problem in problems))
    return result


def _apply(result: dict[str, PolicyConfig], overlay: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
    """The CLI's applyConfig: `all` sets every level, then each named policy's level and properties."""
    applied = dict(result)
    everything = overlay.get(ALL_POLICIES)
    if everything is not None and everything.enforcement_level is not None:
        applied = {k: PolicyConfig(everything.enforcement_level, v.properties) for k, v in applied.items()}
    for name, given in overlay.items():
        current = applied.get(name, PolicyConfig(None, None))
        properties = dict(current.properties or {})
        properties.update(copy.deepcopy(given.properties or {}))
        applied[name] = PolicyConfig(given.enforcement_level or current.enforcement_level, properties or None)
    return applied


def _validate(policies: list[PolicySchemaInfo], config: Mapping[str, PolicyConfig]) -> list[str]:
    problems: list[str] = []
    for policy in policies:
        if policy.config_schema is None:
            continue
        schema: dict[str, Any] = {"type": "object"}
        if policy.config_schema.get("properties"):
            schema["properties"] = policy.config_schema["properties"]
        if policy.config_schema.get("required"):
            schema["required"] = list(policy.config_schema["required"])
        entry = config.get(policy.name)
        document = dict(entry.properties or {}) if entry else {}
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{policy.name}{'.' + where if where else ''}: {error.message}")
    return problems


def with_enforcement_level_property(schema: dict[str, Any] | None) -> dict[str, Any]:
    """The CLI injects `enforcementLevel` into every schema of a pack that supports config."""
    result = copy.deepcopy(schema) if schema else {}
    result.setdefault("properties", {})
    result["properties"]["enforcementLevel"] = {"type": "string", "enum": list(ENFORCEMENT_LEVELS)}
    return result


def waivers_of(config: Mapping[str, PolicyConfig]) -> tuple[Waiver, ...]:
    """Exceptions recorded in the config: each policy's `waivers` list of objects.

    A waiver names what it covers (`resource`: a URN, a logical name or `stack`), its `owner`,
    the last day it holds (`expires`, ISO date), why (`reason`) and its risk record (`ticket`),
    as policy/rules/_waivers.py reads them. Whether a waiver suppresses a violation is the
    pack's business (it reads its own config); the check lists every one, so none is silent.
    """
    found: list[Waiver] = []
    for policy, entry in sorted(config.items()):
        items = (entry.properties or {}).get(WAIVERS_KEY)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            found.append(
                Waiver(
                    policy=policy,
                    target=_first(item, "resource", "urn", "name"),
                    owner=_first(item, "owner"),
                    expires=_first(item, "expires", "expiry", "expiresOn", "until"),
                    reason=_first(item, "reason", "justification"),
                    ticket=_first(item, "ticket"),
                    approver=_first(item, "approver"),
                    approved=_first(item, "approved"),
                    type=_first(item, "type"),
                )
            )
    return tuple(found)


def ambiguous_waivers(waivers: Iterable[Waiver], resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """One problem per waiver whose logical name (without `type`) names resources of several types.

    The pack's stack policies refuse such a waiver too, but a resource policy sees one resource
    only, so `finstack check` refuses it before analysis, for every policy.
    """
    types_by_name: dict[str, set[str]] = {}
    for resource in resources:
        types_by_name.setdefault(str(resource["urn"]).rsplit("::", 1)[-1], set()).add(str(resource["type"]))
    problems = []
    for waiver in waivers:
        if waiver.type or "::" in waiver.target or waiver.target in ("", "stack"):
            continue
        types = types_by_name.get(waiver.target, set())
        if len(types) > 1:
            problems.append(
                f"{waiver.policy}.waivers: resource {waiver.target!r} names resources of types "
                f'{", ".join(sorted(types))}; add "type" to the waiver or use the URN'
            )
    return problems


def _first(item: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = item.get(key)
        if value not in (None, ""):
            return str(value)
    return ""
