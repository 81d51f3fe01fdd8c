"""The `dr` stack output: what a drill acts on, read from Pulumi or the emulator and schema-checked.

Real mode runs `pulumi stack output dr --json --stack S`; `--emulate` reads the document the
emulator wrote to `.finstack/<stack>/outputs.json`. Either way the document is validated against
`finstack/schemas/dr_output.schema.json` before a drill plans anything, so a typo in an ARN fails
here with the JSON path, not halfway through a failover.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema

from finstack.drills.errors import DocumentError

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "dr_output.schema.json"
# `pulumi stack output` talks to the state backend; a minute is generous, an hour would hide a hang.
PULUMI_TIMEOUT_SECONDS = 60


class ArcEndpoint(NamedTuple):
    """One regional endpoint of the ARC cluster's data plane (`route53-recovery-cluster`).

    A (region, url) pair, so the gateway's endpoint rotation takes it as is.
    """

    region: str
    url: str


@dataclass(frozen=True)
class Cell:
    """One region's resources as the `dr` document names them."""

    region: str
    aurora_cluster_arn: str
    aurora_cluster_id: str
    eks_cluster: str
    nodegroups: tuple[str, ...]
    msk_cluster_arn: str
    replicator_arn: str | None
    health_check_id: str
    routing_control_arn: str | None
    api_hostname: str
    break_glass_secret_arn: str


@dataclass(frozen=True)
class DrDocument:
    """The parsed `dr` output of one stack."""

    environment: str
    primary_region: str
    global_cluster_id: str
    automation_role_arn: str
    arc_plan_arn: str | None
    routing_control_cluster_arn: str | None
    cells: Mapping[str, Cell]
    raw: Mapping[str, Any]
    #: The ARC cluster's data-plane endpoints: every routing-control read and change goes through
    #: them, in turn, never through the control-config API (us-west-2 only). Empty without ARC.
    arc_cluster_endpoints: tuple[ArcEndpoint, ...] = ()
    #: The control panel's safety rules, overridden when a fence switches the last cell Off. Empty without ARC.
    arc_safety_rule_arns: tuple[str, ...] = ()

    @property
    def arc(self) -> bool:
        """Whether the stack has ARC routing controls (prod): the fence is then a routing control."""
        return (
            self.routing_control_cluster_arn is not None
            and bool(self.arc_cluster_endpoints)
            and all(c.routing_control_arn is not None for c in self.cells.values())
        )

    @property
    def regions(self) -> tuple[str, ...]:
        """The stack's regions, primary first, then in document order."""
        others = [r for r in self.cells if r != self.primary_region]
        return ((self.primary_region,) if self.primary_region in self.cells else ()) + tuple(others)

    def cell(self, region: str) -> Cell:
        """The cell in `region`, or a `DocumentError` naming the regions that exist."""
        if region not in self.cells:
            raise DocumentError(f"region {region} is not a cell of this stack (cells: {', '.join(self.cells)})")
        return self.cells[region]


@cache
def schema() -> dict[str, Any]:
    """The `dr` output schema shipped with finstack."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def validate(document: Any) -> None:
    """Raise `DocumentError` naming the first schema violations of `document`."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors[:5]]
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise DocumentError("the `dr` stack output does not match its schema:\n  " + "\n  ".join(lines) + more)


def parse(document: Any) -> DrDocument:
    """Validate `document` and turn it into a `DrDocument`."""
    validate(document)
    cells = {
        region: Cell(
            region=region,
            aurora_cluster_arn=c["auroraClusterArn"],
            aurora_cluster_id=c["auroraClusterId"],
            eks_cluster=c["eksCluster"],
            nodegroups=tuple(c["nodegroups"]),
            msk_cluster_arn=c["mskClusterArn"],
            replicator_arn=c["replicatorArn"],
            health_check_id=c["healthCheckId"],
            routing_control_arn=c["routingControlArn"],
            api_hostname=c["apiHostname"],
            break_glass_secret_arn=c["breakGlassSecretArn"],
        )
        for region, c in document["regions"].items()
    }
    if document["primaryRegion"] not in cells:
        raise DocumentError(f"primaryRegion {document['primaryRegion']} is not one of the cells ({', '.join(cells)})")
    return DrDocument(
        environment=document["environment"],
        primary_region=document["primaryRegion"],
        global_cluster_id=document["globalClusterId"],
        automation_role_arn=document["automationRoleArn"],
        arc_plan_arn=document["arcPlanArn"],
        routing_control_cluster_arn=document["routingControlClusterArn"],
        cells=cells,
        raw=document,
        arc_cluster_endpoints=tuple(
            ArcEndpoint(e["region"], e["endpoint"]) for e in document["arcClusterEndpoints"] or ()
        ),
        arc_safety_rule_arns=tuple(document["arcSafetyRuleArns"] or ()),
    )


def load_file(path: Path) -> DrDocument:
    """The document the emulator wrote (`.finstack/<stack>/outputs.json`)."""
    if not path.is_file():
        raise DocumentError(
            f"{path} does not exist: deploy the stack into the emulator first (`finstack up --stack <S> --emulate`)"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DocumentError(f"{path} is not valid JSON: {err}") from None
    return parse(document)


def load_pulumi(stack: str, cwd: Path) -> DrDocument:
    """`pulumi stack output dr --json --stack S`, for drills against real AWS."""
    if shutil.which("pulumi") is None:
        raise DocumentError(
            "the Pulumi CLI is not installed: install it (https://www.pulumi.com/docs/install/) and run "
            "`pulumi login`, or add --emulate to drill the emulated stack"
        )
    command = ["pulumi", "stack", "output", "dr", "--json", "--stack", stack]
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=PULUMI_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise DocumentError(f"`{' '.join(command)}` did not answer within {PULUMI_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise DocumentError(f"`{' '.join(command)}` failed: {detail[-1] if detail else f'exit {done.returncode}'}")
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError as err:
        raise DocumentError(f"`{' '.join(command)}` printed something that is not JSON: {err}") from None
    return parse(document)
