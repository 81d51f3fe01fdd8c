"""Route 53 ARC control plane and routing-control state (one store per account; ARC is global).

The data plane (``route53-recovery-cluster``) reads and updates routing-control state here too:
state lives with the routing control, as in ARC, where every cluster endpoint sees the same state.

Safety rules are evaluated like ARC on every state update, against the state the update would
produce:

- an assertion rule whose asserted controls the update touches must still hold afterwards
  (``ATLEAST n`` of them On, ``AND`` all On, ``OR`` any On; ``Inverted`` negates);
- a gating rule whose target controls the update touches only lets it through if its rule holds
  on the gating controls.

A violation rejects the whole update with ``ConflictException``; ``SafetyRulesToOverride`` skips
the named rules (ARC's break-glass path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import ServiceException
from moto.moto_api._internal import mock_random

#: ARC clusters expose five Regional endpoints; these are the Regions AWS uses.
CLUSTER_ENDPOINT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-2")
ROUTING_CONTROL_STATES = ("On", "Off")
RULE_TYPES = ("ATLEAST", "AND", "OR")


class ArcError(ServiceException):
    """An ARC API error with the AWS code; ``resourceId``/``resourceType`` as ARC reports them."""

    def __init__(self, code: str, message: str, resource_id: str = "", resource_type: str = "") -> None:
        super().__init__(code, message)
        self.resourceId = resource_id
        self.resourceType = resource_type


def not_found(kind: str, arn: str) -> ArcError:
    """``ResourceNotFoundException`` for a missing `kind`."""
    return ArcError("ResourceNotFoundException", f"{kind} {arn} not found.", arn, kind)


def validation(message: str) -> ArcError:
    """``ValidationException``."""
    return ArcError("ValidationException", message)


@dataclass
class Cluster:
    """An ARC cluster: the five-Region data plane routing-control state is read from."""

    arn: str
    name: str
    owner: str
    network_type: str = "IPV4"
    status: str = "DEPLOYED"

    def describe(self, endpoint_for: Any) -> dict[str, Any]:
        """The ``Cluster`` structure; `endpoint_for(region)` renders each endpoint URL."""
        return {
            "ClusterArn": self.arn,
            "ClusterEndpoints": [
                {"Endpoint": endpoint_for(region), "Region": region} for region in CLUSTER_ENDPOINT_REGIONS
            ],
            "Name": self.name,
            "Status": self.status,
            "Owner": self.owner,
            "NetworkType": self.network_type,
        }


@dataclass
class ControlPanel:
    """A group of routing controls and their safety rules."""

    arn: str
    cluster_arn: str
    name: str
    owner: str
    default: bool = False
    status: str = "DEPLOYED"


@dataclass
class RoutingControl:
    """An On/Off switch; new routing controls are Off, as in ARC."""

    arn: str
    control_panel_arn: str
    name: str
    owner: str
    state: str = "Off"
    status: str = "DEPLOYED"

    def describe(self) -> dict[str, Any]:
        """The control-plane ``RoutingControl`` structure."""
        return {
            "ControlPanelArn": self.control_panel_arn,
            "Name": self.name,
            "RoutingControlArn": self.arn,
            "Status": self.status,
            "Owner": self.owner,
        }


@dataclass
class SafetyRule:
    """An assertion or gating rule over routing controls of one control panel."""

    arn: str
    kind: Literal["ASSERTION", "GATING"]
    control_panel_arn: str
    name: str
    owner: str
    rule_config: dict[str, Any]
    wait_period_ms: int
    asserted_controls: list[str] = field(default_factory=list)
    gating_controls: list[str] = field(default_factory=list)
    target_controls: list[str] = field(default_factory=list)
    status: str = "DEPLOYED"

    @property
    def evaluated_controls(self) -> list[str]:
        """The controls whose states decide whether the rule holds."""
        return self.asserted_controls if self.kind == "ASSERTION" else self.gating_controls

    @property
    def guarded_controls(self) -> set[str]:
        """The controls an update must touch for this rule to be checked."""
        return set(self.asserted_controls if self.kind == "ASSERTION" else self.target_controls)

    def holds(self, states: dict[str, str]) -> bool:
        """Whether the rule is satisfied by `states` (routing control ARN -> On/Off)."""
        on = [states[arn] == "On" for arn in self.evaluated_controls]
        kind = self.rule_config["Type"]
        if kind == "ATLEAST":
            result = sum(on) >= int(self.rule_config["Threshold"])
        elif kind == "AND":
            result = all(on)
        else:
            result = any(on)
        return result != bool(self.rule_config.get("Inverted"))

    def describe(self) -> dict[str, Any]:
        """``{"ASSERTION": {...}}`` or ``{"GATING": {...}}`` as ``ListSafetyRules`` reports it."""
        body: dict[str, Any] = {
            "ControlPanelArn": self.control_panel_arn,
            "Name": self.name,
            "RuleConfig": self.rule_config,
            "SafetyRuleArn": self.arn,
            "Status": self.status,
            "WaitPeriodMs": self.wait_period_ms,
            "Owner": self.owner,
        }
        if self.kind == "ASSERTION":
            body["AssertedControls"] = self.asserted_controls
        else:
            body["GatingControls"] = self.gating_controls
            body["TargetControls"] = self.target_controls
        return {self.kind: body}


class RecoveryControlBackend(BaseBackend):
    """ARC clusters, control panels, routing controls (with state) and safety rules of an account."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.clusters: dict[str, Cluster] = {}
        self.control_panels: dict[str, ControlPanel] = {}
        self.routing_controls: dict[str, RoutingControl] = {}
        self.safety_rules: dict[str, SafetyRule] = {}

    def _arn(self, resource: str) -> str:
        return f"arn:{self.partition}:route53-recovery-control::{self.account_id}:{resource}"

    # -- clusters and control panels --------------------------------------------------------------

    def create_cluster(self, name: str, network_type: str | None) -> Cluster:
        """A cluster and its default control panel (ARC creates one with every cluster)."""
        cluster = Cluster(arn=self._arn(f"cluster/{mock_random.uuid4()}"), name=name, owner=self.account_id)
        if network_type:
            cluster.network_type = network_type
        self.clusters[cluster.arn] = cluster
        self._new_panel(cluster.arn, "DefaultControlPanel", default=True)
        return cluster

    def get_cluster(self, arn: str) -> Cluster:
        """The cluster, or ``ResourceNotFoundException``."""
        if arn not in self.clusters:
            raise not_found("Cluster", arn)
        return self.clusters[arn]

    def delete_cluster(self, arn: str) -> None:
        """Delete a cluster that holds no control panel besides its default one."""
        self.get_cluster(arn)
        panels = [p for p in self.control_panels.values() if p.cluster_arn == arn]
        if any(not p.default for p in panels) or any(self.controls_of(p.arn) for p in panels):
            raise ArcError(
                "ConflictException", f"Cluster {arn} still has control panels or routing controls.", arn, "Cluster"
            )
        for panel in panels:
            del self.control_panels[panel.arn]
        del self.clusters[arn]

    def _new_panel(self, cluster_arn: str, name: str, *, default: bool = False) -> ControlPanel:
        panel = ControlPanel(
            arn=self._arn(f"controlpanel/{mock_random.uuid4().hex}"),
            cluster_arn=cluster_arn,
            name=name,
            owner=self.account_id,
            default=default,
        )
        self.control_panels[panel.arn] = panel
        return panel

    def create_control_panel(self, cluster_arn: str, name: str) -> ControlPanel:
        """A control panel in an existing cluster."""
        self.get_cluster(cluster_arn)
        return self._new_panel(cluster_arn, name)

    def get_control_panel(self, arn: str) -> ControlPanel:
        """The control panel, or ``ResourceNotFoundException``."""
        if arn not in self.control_panels:
            raise not_found("ControlPanel", arn)
        return self.control_panels[arn]

    def describe_control_panel(self, panel: ControlPanel) -> dict[str, Any]:
        """The ``ControlPanel`` structure, with its live routing control count."""
        return {
            "ClusterArn": panel.cluster_arn,
            "ControlPanelArn": panel.arn,
            "DefaultControlPanel": panel.default,
            "Name": panel.name,
            "RoutingControlCount": len(self.controls_of(panel.arn)),
            "Status": panel.status,
            "Owner": panel.owner,
        }

    def delete_control_panel(self, arn: str) -> None:
        """Delete an empty, non-default control panel."""
        panel = self.get_control_panel(arn)
        if panel.default:
            raise validation(f"Control panel {arn} is its cluster's default control panel.")
        if self.controls_of(arn) or any(r.control_panel_arn == arn for r in self.safety_rules.values()):
            raise ArcError(
                "ConflictException",
                f"Control panel {arn} still has routing controls or safety rules.",
                arn,
                "ControlPanel",
            )
        del self.control_panels[arn]

    # -- routing controls -------------------------------------------------------------------------

    def create_routing_control(self, cluster_arn: str, panel_arn: str | None, name: str) -> RoutingControl:
        """A routing control (Off) in `panel_arn`, or in the cluster's default control panel."""
        self.get_cluster(cluster_arn)
        if panel_arn:
            panel = self.get_control_panel(panel_arn)
            if panel.cluster_arn != cluster_arn:
                raise validation(f"Control panel {panel_arn} is not in cluster {cluster_arn}.")
        else:
            panel = next(p for p in self.control_panels.values() if p.cluster_arn == cluster_arn and p.default)
        control = RoutingControl(
            arn=f"{panel.arn}/routingcontrol/{mock_random.uuid4().hex[:16]}",
            control_panel_arn=panel.arn,
            name=name,
            owner=self.account_id,
        )
        self.routing_controls[control.arn] = control
        return control

    def get_routing_control(self, arn: str) -> RoutingControl:
        """The routing control, or ``ResourceNotFoundException``."""
        if arn not in self.routing_controls:
            raise not_found("RoutingControl", arn)
        return self.routing_controls[arn]

    def controls_of(self, panel_arn: str) -> list[RoutingControl]:
        """Routing controls of one control panel, in creation order."""
        return [c for c in self.routing_controls.values() if c.control_panel_arn == panel_arn]

    def delete_routing_control(self, arn: str) -> None:
        """Delete a routing control no safety rule refers to."""
        self.get_routing_control(arn)
        users = [r.name for r in self.safety_rules.values() if arn in r.evaluated_controls or arn in r.guarded_controls]
        if users:
            raise ArcError(
                "ConflictException", f"Routing control {arn} is used by safety rules {users}.", arn, "RoutingControl"
            )
        del self.routing_controls[arn]

    # -- safety rules -----------------------------------------------------------------------------

    def create_safety_rule(self, assertion: dict[str, Any] | None, gating: dict[str, Any] | None) -> SafetyRule:
        """An assertion or a gating rule (exactly one of the two)."""
        if bool(assertion) == bool(gating):
            raise validation("Specify exactly one of AssertionRule and GatingRule.")
        spec: dict[str, Any] = assertion or gating  # type: ignore[assignment]
        kind: Literal["ASSERTION", "GATING"] = "ASSERTION" if assertion else "GATING"
        panel = self.get_control_panel(spec["ControlPanelArn"])
        config = dict(spec["RuleConfig"])
        if config.get("Type") not in RULE_TYPES:
            raise validation(f"RuleConfig.Type must be one of {RULE_TYPES}, got {config.get('Type')!r}.")
        config.setdefault("Inverted", False)
        config.setdefault("Threshold", 1)
        asserted = list(spec.get("AssertedControls") or [])
        gating_controls = list(spec.get("GatingControls") or [])
        targets = list(spec.get("TargetControls") or [])
        for arn in {*asserted, *gating_controls, *targets}:
            if self.get_routing_control(arn).control_panel_arn != panel.arn:
                raise validation(f"Routing control {arn} is not in control panel {panel.arn}.")
        evaluated = asserted if assertion else gating_controls
        if not evaluated:
            raise validation("A safety rule needs at least one asserted or gating control.")
        if config["Type"] == "ATLEAST" and not 0 < int(config["Threshold"]) <= len(evaluated):
            raise validation(f"Threshold {config['Threshold']} must be between 1 and {len(evaluated)}.")
        rule = SafetyRule(
            arn=f"{panel.arn}/safetyrule/{mock_random.uuid4().hex[:16]}",
            kind=kind,
            control_panel_arn=panel.arn,
            name=spec["Name"],
            owner=self.account_id,
            rule_config=config,
            wait_period_ms=int(spec.get("WaitPeriodMs") or 0),
            asserted_controls=asserted,
            gating_controls=gating_controls,
            target_controls=targets,
        )
        self.safety_rules[rule.arn] = rule
        return rule

    def get_safety_rule(self, arn: str) -> SafetyRule:
        """The safety rule, or ``ResourceNotFoundException``."""
        if arn not in self.safety_rules:
            raise not_found("SafetyRule", arn)
        return self.safety_rules[arn]

    def delete_safety_rule(self, arn: str) -> None:
        """Delete a safety rule."""
        self.get_safety_rule(arn)
        del self.safety_rules[arn]

    # -- routing control state (data plane) -------------------------------------------------------

    def update_states(self, updates: dict[str, str], overrides: list[str] | None = None) -> None:
        """Apply On/Off updates atomically, or reject them all with ``ConflictException``."""
        for arn, state in updates.items():
            self.get_routing_control(arn)
            if state not in ROUTING_CONTROL_STATES:
                raise validation(f"RoutingControlState must be On or Off, got {state!r}.")
        proposed = {arn: control.state for arn, control in self.routing_controls.items()} | updates
        skipped = set(overrides or [])
        violated = [
            rule
            for rule in self.safety_rules.values()
            if rule.arn not in skipped and rule.guarded_controls & updates.keys() and not rule.holds(proposed)
        ]
        if violated:
            names = ", ".join(f"{r.name} ({r.rule_config['Type']})" for r in violated)
            raise ArcError(
                "ConflictException",
                f"The routing control state update was rejected because it would violate safety rules: {names}.",
                violated[0].arn,
                "SafetyRule",
            )
        for arn, state in updates.items():
            self.routing_controls[arn].state = state


recovery_control_backends = BackendDict(
    RecoveryControlBackend, "route53-recovery-control-config", use_boto3_regions=False, additional_regions=["aws"]
)


def arc_backend(account_id: str) -> RecoveryControlBackend:
    """The account's ARC store (ARC is a global service: one store per account)."""
    return recovery_control_backends[account_id]["aws"]
