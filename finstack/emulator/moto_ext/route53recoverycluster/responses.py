"""``route53-recovery-cluster`` API: read and change routing-control state, safety rules enforced."""

from __future__ import annotations

from moto.core.responses import ActionResult

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK
from finstack.emulator.moto_ext._responses import ClockedResponse
from finstack.emulator.moto_ext.route53recoverycontrolconfig.models import (
    RecoveryControlBackend,
    RoutingControl,
    arc_backend,
)


class RecoveryClusterResponse(ClockedResponse):
    """GetRoutingControlState, UpdateRoutingControlState(s), ListRoutingControls."""

    def __init__(self) -> None:
        super().__init__(service_name="route53-recovery-cluster")
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> RecoveryControlBackend:
        """The account's ARC store."""
        return arc_backend(self.current_account)

    def get_routing_control_state(self) -> ActionResult:
        """``GetRoutingControlState``."""
        with EXTENSION_LOCK:
            control = self.backend.get_routing_control(self.params["RoutingControlArn"])
            return ActionResult(
                {
                    "RoutingControlArn": control.arn,
                    "RoutingControlState": control.state,
                    "RoutingControlName": control.name,
                }
            )

    def update_routing_control_state(self) -> ActionResult:
        """``UpdateRoutingControlState``; ``ConflictException`` if a safety rule would break."""
        with EXTENSION_LOCK:
            self.backend.update_states(
                {self.params["RoutingControlArn"]: self.params["RoutingControlState"]},
                self.params.get("SafetyRulesToOverride"),
            )
        return ActionResult({})

    def update_routing_control_states(self) -> ActionResult:
        """``UpdateRoutingControlStates``: all entries succeed together or none does."""
        entries = self.params["UpdateRoutingControlStateEntries"]
        with EXTENSION_LOCK:
            self.backend.update_states(
                {e["RoutingControlArn"]: e["RoutingControlState"] for e in entries},
                self.params.get("SafetyRulesToOverride"),
            )
        return ActionResult({})

    def list_routing_controls(self) -> ActionResult:
        """``ListRoutingControls`` with their states (optionally of one control panel)."""
        panel_arn = self.params.get("ControlPanelArn")
        with EXTENSION_LOCK:
            backend = self.backend
            if panel_arn:
                backend.get_control_panel(panel_arn)
            controls = [
                c for c in backend.routing_controls.values() if not panel_arn or c.control_panel_arn == panel_arn
            ]
            return ActionResult({"RoutingControls": [_with_state(backend, c) for c in controls]})


def _with_state(backend: RecoveryControlBackend, control: RoutingControl) -> dict[str, str]:
    return {
        "ControlPanelArn": control.control_panel_arn,
        "ControlPanelName": backend.control_panels[control.control_panel_arn].name,
        "RoutingControlArn": control.arn,
        "RoutingControlName": control.name,
        "RoutingControlState": control.state,
        "Owner": control.owner,
    }
