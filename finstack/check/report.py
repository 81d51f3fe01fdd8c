"""What one `finstack check` found: the packs, their policies, the violations and the waivers.

Plain frozen dataclasses, no gRPC: the formats (text, JSON, SARIF) and the tests read these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

EnforcementLevel = Literal["advisory", "mandatory", "remediate", "disabled"]
ENFORCEMENT_LEVELS: tuple[EnforcementLevel, ...] = ("advisory", "mandatory", "remediate", "disabled")

Severity = Literal["low", "medium", "high", "critical"]

# Report order: what blocks a deployment first.
LEVEL_ORDER: dict[str, int] = {"mandatory": 0, "remediate": 1, "advisory": 2, "disabled": 3}

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class ComplianceFramework:
    """The compliance framework a policy maps to (`PolicyComplianceFramework` on the wire)."""

    name: str
    version: str = ""
    reference: str = ""
    specification: str = ""

    def as_dict(self) -> dict[str, str]:
        """The framework as JSON, empty fields left out."""
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class PolicyMeta:
    """One policy as the pack describes it (`GetAnalyzerInfo`), with the level this run enforces.

    `default_level` is the pack's own level; `enforcement_level` is the one after the stack's
    policy config was applied (what Configure sent the pack).
    """

    name: str
    description: str
    policy_type: Literal["resource", "stack", "unknown"]
    default_level: EnforcementLevel
    enforcement_level: EnforcementLevel
    display_name: str = ""
    severity: Severity | None = None
    tags: tuple[str, ...] = ()
    framework: ComplianceFramework | None = None
    remediation_steps: str = ""
    url: str = ""
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PackMeta:
    """A policy pack: name, version (PulumiPolicy.yaml's when set, as the CLI does) and policies."""

    name: str
    version: str
    policies: tuple[PolicyMeta, ...]
    description: str = ""
    display_name: str = ""

    def policy(self, name: str) -> PolicyMeta | None:
        """The policy called `name`, if the pack has one."""
        return next((p for p in self.policies if p.name == name), None)


@dataclass(frozen=True)
class SourceRef:
    """The program line that declared a resource (repo-relative path, 1-based line)."""

    file: str
    line: int


@dataclass(frozen=True)
class Violation:
    """One diagnostic the pack reported, attributed the way the engine attributes it.

    `message` is the policy's own text for this resource (the SDK prefixes the policy's
    description on the wire; that prefix is stripped here and kept in `description`).
    """

    pack: str
    pack_version: str
    policy: str
    enforcement_level: EnforcementLevel
    urn: str
    type: str
    name: str
    message: str
    description: str
    severity: Severity | None
    source: SourceRef | None = None
    framework: ComplianceFramework | None = None

    def sort_key(self) -> tuple[int, str, str, str]:
        """Mandatory first, then by policy, URN and message: stable across runs."""
        return (LEVEL_ORDER.get(self.enforcement_level, 9), self.policy, self.urn, self.message)


@dataclass(frozen=True)
class Waiver:
    """An exception recorded in the stack's policy config: who owns it and until when."""

    policy: str
    target: str
    owner: str
    expires: str
    reason: str
    ticket: str = ""
    approver: str = ""
    approved: str = ""
    type: str = ""
    # The resource the waiver names, resolved against the checked plan ("" = none or the stack).
    urn: str = ""
    source: SourceRef | None = None

    def expired(self, today: dt.date | None = None) -> bool:
        """True once `today` (default: today in UTC) is past `expires`, the last valid day.

        A date that does not parse counts as expired: an exception nobody can date is not granted.
        """
        if not self.expires:
            return False
        try:
            until = dt.date.fromisoformat(self.expires[:10])
        except ValueError:
            return True
        return until < (today or dt.datetime.now(dt.UTC).date())


@dataclass(frozen=True)
class CheckReport:
    """Everything one check found, ready for a format to render."""

    project: str
    stack: str
    packs: tuple[PackMeta, ...]
    resources_checked: int
    violations: tuple[Violation, ...]
    waivers: tuple[Waiver, ...] = ()
    config_file: str = ""
    stack_config_file: str = ""

    @property
    def mandatory(self) -> tuple[Violation, ...]:
        """Violations that block a deployment."""
        return tuple(v for v in self.violations if v.enforcement_level == "mandatory")

    @property
    def advisory(self) -> tuple[Violation, ...]:
        """Violations reported as warnings."""
        return tuple(v for v in self.violations if v.enforcement_level == "advisory")

    @property
    def exit_code(self) -> int:
        """0 when no mandatory policy is violated, 1 otherwise (the CLI contract)."""
        return 1 if self.mandatory else 0
