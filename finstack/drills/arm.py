"""`finstack arm`: turn every cell's ARC routing control On after `up`, and prove it.

ARC creates routing controls Off ("Routing control components", Route 53 ARC Developer Guide).
With every cell's control Off, every calculated gate check (endpoint AND routing control,
components/traffic.py) is unhealthy, and Route 53 then answers as if all records were healthy
("How Amazon Route 53 chooses records when health checking is configured"): traffic flows to
every cell, but switching a cell Off (a drill's fence) changes nothing. Arming makes the
routing controls mean something; the drills refuse to start until it is done (preflight
`platform-armed`).

Arming goes through the ARC data plane only, like the drills: one `UpdateRoutingControlStates`
for every control that is not On (ARC applies the entries as one transaction, "Get and update
routing control states using the API"), sent to the cluster's regional endpoints from the `dr`
document in turn until one answers. Turning controls On cannot break the stack's "at least one
On" safety rule, so nothing is overridden. It is verified by reading each control back from
two endpoints in different Regions: both must answer On (one endpoint's answer could be that
endpoint's view only).
"""

from __future__ import annotations

from dataclasses import dataclass

from finstack.drills.dr import ArcEndpoint
from finstack.drills.runner import CONFIRMING_ENDPOINTS
from finstack.drills.session import DrillSetup

#: Step tag of the API calls `finstack arm` makes (the gateway records every attempt).
ARM_CALLS = "arm"


@dataclass(frozen=True)
class CellArming:
    """One cell: its routing control, the state found, what arming did or would do, the read-back."""

    region: str
    routing_control_arn: str
    before: str | None
    change: str
    #: (endpoint Region, state) of each endpoint that answered the read-back.
    read_back: tuple[tuple[str, str], ...]

    @property
    def armed(self) -> bool:
        """On, as read back from `CONFIRMING_ENDPOINTS` endpoints in different Regions."""
        return len(self.read_back) >= CONFIRMING_ENDPOINTS and all(state == "On" for _, state in self.read_back)


@dataclass(frozen=True)
class ArmResult:
    """What `finstack arm` found and did for one stack."""

    stack: str
    arc: bool
    executed: bool
    cells: tuple[CellArming, ...]

    @property
    def armed(self) -> bool:
        """Every cell's control read back On (a stack without ARC has nothing to arm: True)."""
        return all(cell.armed for cell in self.cells)


def read_back(setup: DrillSetup, routing_control_arn: str) -> tuple[tuple[str, str], ...]:
    """The control's state from the first `CONFIRMING_ENDPOINTS` endpoints that answer, one per Region."""
    states = setup.gateway.routing_control_states_by_region(
        routing_control_arn, setup.document.arc_cluster_endpoints, CONFIRMING_ENDPOINTS
    )
    return tuple(states.items())


def arm(setup: DrillSetup, *, execute: bool) -> ArmResult:
    """Read every cell's routing control; with `execute`, turn the ones not On On, then read back.

    Without `execute` nothing changes: each cell says what arming would change.
    """
    document = setup.document
    if not document.arc:
        return ArmResult(setup.stack, arc=False, executed=execute, cells=())
    endpoints: list[ArcEndpoint] = list(document.arc_cluster_endpoints)
    controls = {region: document.cell(region).routing_control_arn for region in document.regions}
    setup.gateway.recorder.step = ARM_CALLS
    try:
        before = {region: setup.gateway.routing_control_state(arn, endpoints) for region, arn in _arns(controls)}
        off = {arn: "On" for region, arn in _arns(controls) if before[region] != "On"}
        if execute and off:
            setup.gateway.set_routing_control_states(off, endpoints)
        cells = [
            CellArming(region, arn, before[region], _change(before[region], execute), read_back(setup, arn))
            for region, arn in _arns(controls)
        ]
    finally:
        setup.gateway.recorder.step = None
    return ArmResult(setup.stack, arc=True, executed=execute, cells=tuple(cells))


def _change(before: str, execute: bool) -> str:
    if before == "On":
        return "none"
    return f"{before} -> On" if execute else "would turn On"


def _arns(controls: dict[str, str | None]) -> list[tuple[str, str]]:
    return [(region, arn) for region, arn in controls.items() if arn is not None]
