"""Route 53 health checks whose status means something: routing controls, children, injected faults.

moto stores health checks but always reports them healthy. Here the status is computed:

- ``RECOVERY_CONTROL`` (``RoutingControlArn``): healthy while the routing control is On.
- ``CALCULATED``: healthy while at least ``HealthThreshold`` children are healthy (0: always).
- endpoint checks (``HTTP``, ``HTTPS``, ``TCP``, ...): healthy unless a fault was injected with
  `set_endpoint_health` (or ``POST /_finstack/health-checks/<id>`` on the emulator server).
- ``Inverted`` flips the result (a drill fences a Region by inverting its check);
  ``Disabled`` makes a check healthy, as Route 53 documents.

``GetHealthCheckStatus`` reports it as every checker Region would ("Success: ..." / "Failure: ...")
and, like AWS, refuses calculated health checks: their status is read from CloudWatch
(``AWS/Route53`` ``HealthCheckStatus``, published by `metrics`) or in-process with
`health_check_status`.
"""

from __future__ import annotations

from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random
from moto.route53 import urls as route53_urls
from moto.route53.exceptions import InvalidInput, NoSuchHealthCheck
from moto.route53.models import HealthCheck, route53_backends
from moto.route53.responses import Route53

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation
from finstack.emulator.moto_ext._responses import ClockedResponse
from finstack.emulator.moto_ext.route53recoverycontrolconfig.models import arc_backend

#: Regions whose checkers report in ``GetHealthCheckStatus`` (Route 53 uses several; all agree here).
CHECKER_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
_PARTITION = "aws"


class RoutingControlHealthCheck(HealthCheck):
    """moto's health check plus the ``RoutingControlArn`` of RECOVERY_CONTROL checks."""

    def __init__(self, health_check_id: str, caller_reference: str, health_check_args: dict[str, Any]) -> None:
        super().__init__(health_check_id, caller_reference, health_check_args)
        self.routing_control_arn: str | None = health_check_args.get("routing_control_arn")

    @property
    def health_check_config(self) -> dict[str, Any]:  # type: ignore[misc]
        """``HealthCheckConfig`` as AWS reports it: no endpoint fields on RECOVERY_CONTROL checks."""
        config = dict(super().health_check_config)
        if self.type_ == "RECOVERY_CONTROL":
            config = {key: config[key] for key in ("Type", "Inverted", "Disabled")}
            config["RoutingControlArn"] = self.routing_control_arn
        return config


class HealthFaultBackend(BaseBackend):
    """Injected endpoint health of one account (reset together with moto's backends)."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.endpoint_health: dict[str, bool] = {}


health_fault_backends = BackendDict(
    HealthFaultBackend, "route53", use_boto3_regions=False, additional_regions=[_PARTITION]
)


def all_health_checks(account_id: str) -> dict[str, HealthCheck]:
    """Every Route 53 health check of the account, by id."""
    return route53_backends[account_id][_PARTITION].health_checks  # type: ignore[no-any-return]


def _get(account_id: str, health_check_id: str) -> HealthCheck:
    checks = all_health_checks(account_id)
    if health_check_id not in checks:
        raise NoSuchHealthCheck(health_check_id)
    return checks[health_check_id]


def evaluate(account_id: str, health_check_id: str, _seen: frozenset[str] = frozenset()) -> tuple[bool, str]:
    """Whether a health check is healthy now, and why."""
    check = _get(account_id, health_check_id)
    if check.disabled:
        return True, "Health check is disabled; Route 53 considers it healthy"
    if check.type_ == "RECOVERY_CONTROL":
        arn = getattr(check, "routing_control_arn", None) or ""
        controls = arc_backend(account_id).routing_controls
        state = controls[arn].state if arn in controls else "Off"
        healthy, reason = state == "On", f"Routing control state is {state}"
    elif check.type_ == "CALCULATED":
        children = check.children or []
        healthy_children = sum(
            1
            for child in children
            if child not in _seen
            and child in all_health_checks(account_id)
            and evaluate(account_id, child, _seen | {health_check_id})[0]
        )
        threshold = int(check.health_threshold or 0)
        healthy = healthy_children >= threshold
        reason = f"{healthy_children} of {len(children)} child health checks healthy (threshold {threshold})"
    else:
        healthy = health_fault_backends[account_id][_PARTITION].endpoint_health.get(health_check_id, True)
        reason = "HTTP Status Code 200, OK" if healthy else "Connection timed out (injected fault)"
    if check.inverted:
        return not healthy, f"{reason}; status inverted"
    return healthy, reason


def health_check_status(health_check_id: str, account_id: str = DEFAULT_ACCOUNT_ID) -> bool:
    """In-process: whether the health check is healthy now (calculated checks included)."""
    with EXTENSION_LOCK:
        return evaluate(account_id, health_check_id)[0]


def set_endpoint_health(health_check_id: str, healthy: bool, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Fault injection: make an endpoint health check's target healthy or unhealthy."""
    with EXTENSION_LOCK:
        check = _get(account_id, health_check_id)
        if check.type_ in ("RECOVERY_CONTROL", "CALCULATED"):
            raise ValueError(f"health check {health_check_id} is {check.type_}; its status is derived, not injected")
        health_fault_backends[account_id][_PARTITION].endpoint_health[health_check_id] = bool(healthy)


def health_checks_for_routing_control(account_id: str, routing_control_arn: str) -> list[str]:
    """Ids of the RECOVERY_CONTROL health checks that follow `routing_control_arn`."""
    return [
        check.id
        for check in all_health_checks(account_id).values()
        if getattr(check, "routing_control_arn", None) == routing_control_arn
    ]


class HealthCheckResponse(ClockedResponse, Route53):
    """moto's Route 53 API with RECOVERY_CONTROL checks and computed ``GetHealthCheckStatus``."""

    def create_health_check(self) -> ActionResult:
        """``CreateHealthCheck``, keeping ``RoutingControlArn`` and checking references like AWS."""
        config = self._get_param("HealthCheckConfig")
        kind = config["Type"]
        with EXTENSION_LOCK:
            if kind == "RECOVERY_CONTROL":
                arn = config.get("RoutingControlArn")
                if not arn or arn not in arc_backend(self.current_account).routing_controls:
                    raise InvalidInput(f"RoutingControlArn {arn!r} does not refer to an existing routing control.")
            if kind == "CALCULATED":
                for child in config.get("ChildHealthChecks") or []:
                    if child not in self.backend.health_checks:
                        raise InvalidInput(f"Child health check {child} does not exist.")
            # moto declares CloudFormation hooks abstract but instantiates HealthCheck itself too.
            check = RoutingControlHealthCheck(  # type: ignore[abstract]
                str(mock_random.uuid4()),
                self._get_param("CallerReference"),
                {
                    "ip_address": config.get("IPAddress"),
                    "port": config.get("Port"),
                    "type": kind,
                    "resource_path": config.get("ResourcePath"),
                    "fqdn": config.get("FullyQualifiedDomainName"),
                    "search_string": config.get("SearchString"),
                    "request_interval": config.get("RequestInterval"),
                    "failure_threshold": config.get("FailureThreshold"),
                    "health_threshold": config.get("HealthThreshold"),
                    "measure_latency": config.get("MeasureLatency"),
                    "inverted": config.get("Inverted"),
                    "disabled": config.get("Disabled"),
                    "enable_sni": config.get("EnableSNI"),
                    "routing_control_arn": config.get("RoutingControlArn"),
                },
            )
            check.set_children(config.get("ChildHealthChecks", []))
            check.set_regions(config.get("Regions", []))
            self.backend.health_checks[check.id] = check
        return ActionResult({"HealthCheck": check})

    def get_health_check_status(self) -> ActionResult:
        """``GetHealthCheckStatus`` computed from routing controls, inversion and injected faults."""
        health_check_id = self._get_param("HealthCheckId")
        with EXTENSION_LOCK:
            check = _get(self.current_account, health_check_id)
            if check.type_ == "CALCULATED":
                raise InvalidInput(
                    "You can't use GetHealthCheckStatus to get the status of a calculated health check; "
                    "read the AWS/Route53 HealthCheckStatus metric in CloudWatch."
                )
            healthy, reason = evaluate(self.current_account, health_check_id)
        status = f"{'Success' if healthy else 'Failure'}: {reason}"
        observations = [
            {
                "Region": region,
                "IPAddress": check.ip_address or "",
                "StatusReport": {"Status": status, "CheckedTime": utcnow()},
            }
            for region in CHECKER_REGIONS
        ]
        return ActionResult({"HealthCheckObservations": observations})


def register(installation: Installation) -> None:
    """Serve every Route 53 path with `HealthCheckResponse` (a drop-in subclass of moto's)."""
    for path in list(route53_urls.url_paths):
        installation.route(route53_urls, path, HealthCheckResponse.dispatch)
