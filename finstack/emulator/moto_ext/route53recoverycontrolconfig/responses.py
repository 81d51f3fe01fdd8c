"""``route53-recovery-control-config`` API: the requests, parsed by moto from botocore's model."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult, EmptyResult

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK
from finstack.emulator.moto_ext._responses import ClockedResponse
from finstack.emulator.moto_ext.route53_health import health_checks_for_routing_control
from finstack.emulator.moto_ext.route53recoverycontrolconfig.models import RecoveryControlBackend, arc_backend

#: Path of the data-plane API on a cluster endpoint (what ARC's endpoints end with).
DATA_PLANE_PATH = "/v1"


class RecoveryControlConfigResponse(ClockedResponse):
    """Clusters, control panels, routing controls and safety rules."""

    def __init__(self) -> None:
        super().__init__(service_name="route53-recovery-control-config")
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> RecoveryControlBackend:
        """The account's ARC store."""
        return arc_backend(self.current_account)

    def _endpoint(self, region: str) -> str:
        """A cluster endpoint reachable the way this request came in.

        Behind the emulator server the endpoints point back at the server itself (a drill passes
        them as ``endpoint_url``; a real ARC hostname would leave the machine); in-process they are
        AWS-shaped hostnames that moto's mock intercepts.
        """
        host = self.headers.get("Host", "")
        if self.is_werkzeug_request and host and not host.endswith("amazonaws.com"):
            return f"http://{host}{DATA_PLANE_PATH}"
        return f"https://route53-recovery-cluster.{region}.amazonaws.com{DATA_PLANE_PATH}"

    def _arn_param(self, name: str) -> str:
        return unquote(self.params.get(name) or self.uri_match.get(name) or "")

    # -- clusters ---------------------------------------------------------------------------------

    def create_cluster(self) -> ActionResult:
        """``CreateCluster`` (with its default control panel)."""
        with EXTENSION_LOCK:
            cluster = self.backend.create_cluster(self.params["ClusterName"], self.params.get("NetworkType"))
            return ActionResult({"Cluster": cluster.describe(self._endpoint)})

    def describe_cluster(self) -> ActionResult:
        """``DescribeCluster``."""
        with EXTENSION_LOCK:
            return ActionResult(
                {"Cluster": self.backend.get_cluster(self._arn_param("ClusterArn")).describe(self._endpoint)}
            )

    def list_clusters(self) -> ActionResult:
        """``ListClusters``."""
        with EXTENSION_LOCK:
            return ActionResult({"Clusters": [c.describe(self._endpoint) for c in self.backend.clusters.values()]})

    def delete_cluster(self) -> ActionResult:
        """``DeleteCluster``."""
        with EXTENSION_LOCK:
            self.backend.delete_cluster(self._arn_param("ClusterArn"))
        return EmptyResult()

    # -- control panels ---------------------------------------------------------------------------

    def create_control_panel(self) -> ActionResult:
        """``CreateControlPanel``."""
        with EXTENSION_LOCK:
            backend = self.backend
            panel = backend.create_control_panel(self.params["ClusterArn"], self.params["ControlPanelName"])
            return ActionResult({"ControlPanel": backend.describe_control_panel(panel)})

    def describe_control_panel(self) -> ActionResult:
        """``DescribeControlPanel``."""
        with EXTENSION_LOCK:
            backend = self.backend
            panel = backend.get_control_panel(self._arn_param("ControlPanelArn"))
            return ActionResult({"ControlPanel": backend.describe_control_panel(panel)})

    def list_control_panels(self) -> ActionResult:
        """``ListControlPanels`` (optionally of one cluster)."""
        cluster_arn = self.params.get("ClusterArn")
        with EXTENSION_LOCK:
            backend = self.backend
            panels = [
                backend.describe_control_panel(p)
                for p in backend.control_panels.values()
                if not cluster_arn or p.cluster_arn == cluster_arn
            ]
        return ActionResult({"ControlPanels": panels})

    def delete_control_panel(self) -> ActionResult:
        """``DeleteControlPanel``."""
        with EXTENSION_LOCK:
            self.backend.delete_control_panel(self._arn_param("ControlPanelArn"))
        return EmptyResult()

    # -- routing controls -------------------------------------------------------------------------

    def create_routing_control(self) -> ActionResult:
        """``CreateRoutingControl`` (state Off)."""
        with EXTENSION_LOCK:
            control = self.backend.create_routing_control(
                self.params["ClusterArn"], self.params.get("ControlPanelArn"), self.params["RoutingControlName"]
            )
            return ActionResult({"RoutingControl": control.describe()})

    def describe_routing_control(self) -> ActionResult:
        """``DescribeRoutingControl``."""
        with EXTENSION_LOCK:
            return ActionResult(
                {"RoutingControl": self.backend.get_routing_control(self._arn_param("RoutingControlArn")).describe()}
            )

    def list_routing_controls(self) -> ActionResult:
        """``ListRoutingControls`` of one control panel."""
        with EXTENSION_LOCK:
            backend = self.backend
            panel = backend.get_control_panel(self._arn_param("ControlPanelArn"))
            return ActionResult({"RoutingControls": [c.describe() for c in backend.controls_of(panel.arn)]})

    def delete_routing_control(self) -> ActionResult:
        """``DeleteRoutingControl``."""
        with EXTENSION_LOCK:
            self.backend.delete_routing_control(self._arn_param("RoutingControlArn"))
        return EmptyResult()

    def list_associated_route53_health_checks(self) -> ActionResult:
        """``ListAssociatedRoute53HealthChecks``: RECOVERY_CONTROL health checks of a routing control."""
        with EXTENSION_LOCK:
            arn = self.backend.get_routing_control(self._arn_param("RoutingControlArn")).arn
            return ActionResult({"HealthCheckIds": health_checks_for_routing_control(self.current_account, arn)})

    # -- safety rules -----------------------------------------------------------------------------

    def create_safety_rule(self) -> ActionResult:
        """``CreateSafetyRule`` (assertion or gating)."""
        with EXTENSION_LOCK:
            rule = self.backend.create_safety_rule(self.params.get("AssertionRule"), self.params.get("GatingRule"))
            return ActionResult(_rule_result(rule.describe()))

    def describe_safety_rule(self) -> ActionResult:
        """``DescribeSafetyRule``."""
        with EXTENSION_LOCK:
            return ActionResult(_rule_result(self.backend.get_safety_rule(self._arn_param("SafetyRuleArn")).describe()))

    def list_safety_rules(self) -> ActionResult:
        """``ListSafetyRules`` of one control panel."""
        with EXTENSION_LOCK:
            backend = self.backend
            panel = backend.get_control_panel(self._arn_param("ControlPanelArn"))
            rules = [r.describe() for r in backend.safety_rules.values() if r.control_panel_arn == panel.arn]
        return ActionResult({"SafetyRules": rules})

    def delete_safety_rule(self) -> ActionResult:
        """``DeleteSafetyRule``."""
        with EXTENSION_LOCK:
            self.backend.delete_safety_rule(self._arn_param("SafetyRuleArn"))
        return EmptyResult()


def _rule_result(described: dict[str, Any]) -> dict[str, Any]:
    """``{"ASSERTION": rule}`` -> ``{"AssertionRule": rule}`` (the Create/Describe response shape)."""
    kind, body = next(iter(described.items()))
    return {"AssertionRule" if kind == "ASSERTION" else "GatingRule": body}
