"""Security Hub standards and finding aggregators, AWS Config conformance packs: APIs moto 5 lacks.

moto 5 serves Security Hub's hub (Enable/Describe/DisableSecurityHub) and AWS Config's recorder and
delivery channel, but not the calls the posture layer (components/posture.py) and the landing-zone
preflight make. Added here, with the refusals AWS makes (botocore service models and the Security
Hub API reference):

- BatchEnableStandards / GetEnabledStandards / BatchDisableStandards: refused with
  ``InvalidAccessException`` while Security Hub is not enabled in the region; a standards ARN of
  another region, or one Security Hub does not publish, is ``InvalidInputException``.
- Create/Get/List/DeleteFindingAggregator: one aggregator per account, in the aggregation region;
  refused with ``InvalidAccessException`` while Security Hub is off there.
- PutConformancePack / DescribeConformancePacks / DeleteConformancePack: the template body must be
  given (``ConformancePackTemplateValidationException`` otherwise, as AWS answers an empty template).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.config.models import config_backends
from moto.config.responses import ConfigResponse
from moto.core.exceptions import JsonRESTError
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.models import securityhub_backends
from moto.securityhub.responses import SecurityHubResponse

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

# The standards Security Hub publishes that finstack subscribes to or a landing zone may (Security
# Hub User Guide, "Standards reference"); other ARNs are refused like an unknown standard.
KNOWN_STANDARDS = (
    "aws-foundational-security-best-practices/v/1.0.0",
    "pci-dss/v/3.2.1",
    "pci-dss/v/4.0.1",
    "cis-aws-foundations-benchmark/v/1.4.0",
    "cis-aws-foundations-benchmark/v/3.0.0",
    "nist-800-53/v/5.0.0",
)
_STANDARD_ARN = re.compile(r"^arn:aws[\w-]*:securityhub:(?P<region>[\w-]+)::standards/(?P<standard>.+)$")


def _hub(account: str, region: str) -> Any:
    return securityhub_backends[account][region]


def _subscriptions(account: str, region: str) -> dict[str, dict[str, Any]]:
    """The region's subscriptions, kept on moto's own backend so a moto reset forgets them too."""
    backend = _hub(account, region)
    if not hasattr(backend, "finstack_subscriptions"):
        backend.finstack_subscriptions = {}
    return backend.finstack_subscriptions  # type: ignore[no-any-return]


def _aggregator(account: str) -> tuple[Any, dict[str, Any]] | None:
    """The account's aggregator and the backend (its aggregation region's) holding it."""
    for backend in list(securityhub_backends[account].values()):
        found = getattr(backend, "finstack_aggregator", None)
        if found:
            return backend, found
    return None


def _packs(account: str, region: str) -> dict[str, dict[str, Any]]:
    backend: Any = config_backends[account][region]
    if not hasattr(backend, "finstack_packs"):
        backend.finstack_packs = {}
    return backend.finstack_packs  # type: ignore[no-any-return]


def _hub_enabled(account: str, region: str) -> bool:
    return bool(getattr(_hub(account, region), "enabled", False))


def _require_hub(account: str, region: str) -> None:
    if not _hub_enabled(account, region):
        raise JsonRESTError("InvalidAccessException", f"Account {account} is not subscribed to AWS Security Hub")


def _body(response: Any) -> dict[str, Any]:
    return json.loads(response.body) if response.body else {}


def batch_enable_standards(self: SecurityHubResponse) -> str:
    """Subscribe the region to each standard; READY at once (AWS goes PENDING -> READY)."""
    account, region = self.current_account, self.region
    _require_hub(account, region)
    out = []
    with EXTENSION_LOCK:
        subscribed = _subscriptions(account, region)
        for request in _body(self).get("StandardsSubscriptionRequests", []):
            arn = request.get("StandardsArn", "")
            match = _STANDARD_ARN.match(arn)
            if not match or match["region"] != region or match["standard"] not in KNOWN_STANDARDS:
                raise JsonRESTError("InvalidInputException", f"Invalid standards ARN {arn!r} for region {region}")
            subscription = {
                "StandardsSubscriptionArn": f"arn:aws:securityhub:{region}:{account}:subscription/{match['standard']}",
                "StandardsArn": arn,
                "StandardsInput": request.get("StandardsInput", {}),
                "StandardsStatus": "READY",
            }
            subscribed[subscription["StandardsSubscriptionArn"]] = subscription
            out.append(subscription)
    return json.dumps({"StandardsSubscriptions": out})


def get_enabled_standards(self: SecurityHubResponse) -> str:
    """The region's subscriptions (optionally only the ARNs asked for)."""
    account, region = self.current_account, self.region
    _require_hub(account, region)
    wanted = _body(self).get("StandardsSubscriptionArns")
    with EXTENSION_LOCK:
        subscribed = list(_subscriptions(account, region).values())
    return json.dumps(
        {"StandardsSubscriptions": [s for s in subscribed if not wanted or s["StandardsSubscriptionArn"] in wanted]}
    )


def batch_disable_standards(self: SecurityHubResponse) -> str:
    """Unsubscribe; answers the removed subscriptions as DELETING."""
    account, region = self.current_account, self.region
    _require_hub(account, region)
    out = []
    with EXTENSION_LOCK:
        subscribed = _subscriptions(account, region)
        for arn in _body(self).get("StandardsSubscriptionArns", []):
            removed = subscribed.pop(arn, None)
            if removed is not None:
                out.append({**removed, "StandardsStatus": "DELETING"})
    return json.dumps({"StandardsSubscriptions": out})


def create_finding_aggregator(self: SecurityHubResponse) -> str:
    """The account's one aggregator, in this (the aggregation) region."""
    account, region = self.current_account, self.region
    _require_hub(account, region)
    body = _body(self)
    with EXTENSION_LOCK:
        if _aggregator(account) is not None:
            raise JsonRESTError("ResourceConflictException", "A finding aggregator already exists for this account")
        aggregator = {
            "FindingAggregatorArn": f"arn:aws:securityhub:{region}:{account}:finding-aggregator/finstack-emulated",
            "FindingAggregationRegion": region,
            "RegionLinkingMode": body.get("RegionLinkingMode", ""),
            "Regions": list(body.get("Regions") or []),
        }
        _hub(account, region).finstack_aggregator = aggregator
    return json.dumps(aggregator)


def _aggregator_arn(self: SecurityHubResponse, verb: str) -> str:
    return unquote(self.path.split(f"/findingAggregator/{verb}/", 1)[-1])


def get_finding_aggregator(self: SecurityHubResponse) -> str:
    """The aggregator named in the path."""
    with EXTENSION_LOCK:
        found = _aggregator(self.current_account)
    if found is None or found[1]["FindingAggregatorArn"] != _aggregator_arn(self, "get"):
        raise JsonRESTError("ResourceNotFoundException", "Finding aggregator not found")
    return json.dumps(found[1])


def list_finding_aggregators(self: SecurityHubResponse) -> str:
    """The account's aggregator ARN, if any."""
    with EXTENSION_LOCK:
        found = _aggregator(self.current_account)
    listed = [{"FindingAggregatorArn": found[1]["FindingAggregatorArn"]}] if found else []
    return json.dumps({"FindingAggregators": listed})


def delete_finding_aggregator(self: SecurityHubResponse) -> str:
    """Remove the account's aggregator."""
    with EXTENSION_LOCK:
        found = _aggregator(self.current_account)
        if found is None or found[1]["FindingAggregatorArn"] != _aggregator_arn(self, "delete"):
            raise JsonRESTError("ResourceNotFoundException", "Finding aggregator not found")
        found[0].finstack_aggregator = None
    return json.dumps({})


def put_conformance_pack(self: ConfigResponse) -> str:
    """Create or update a conformance pack from its template body."""
    body = json.loads(self.body)
    name = body["ConformancePackName"]
    if not body.get("TemplateBody") and not body.get("TemplateS3Uri"):
        raise JsonRESTError("ConformancePackTemplateValidationException", "Template body or S3 URI is required")
    account, region = self.current_account, self.region
    arn = f"arn:aws:config:{region}:{account}:conformance-pack/{name}/conformance-pack-emulated"
    with EXTENSION_LOCK:
        _packs(account, region)[name] = {
            "ConformancePackName": name,
            "ConformancePackArn": arn,
            "ConformancePackId": "conformance-pack-emulated",
            "DeliveryS3Bucket": body.get("DeliveryS3Bucket", ""),
            "ConformancePackInputParameters": body.get("ConformancePackInputParameters", []),
            "TemplateBody": body.get("TemplateBody", ""),
        }
    return json.dumps({"ConformancePackArn": arn})


def describe_conformance_packs(self: ConfigResponse) -> str:
    """The region's packs (optionally only those named); the template body is not part of the answer."""
    names = json.loads(self.body).get("ConformancePackNames") if self.body else None
    with EXTENSION_LOCK:
        packs = list(_packs(self.current_account, self.region).values())
    if names:
        missing = sorted(set(names) - {p["ConformancePackName"] for p in packs})
        if missing:
            raise JsonRESTError("NoSuchConformancePackException", f"Conformance pack {missing[0]} not found")
    details = [
        {k: v for k, v in p.items() if k != "TemplateBody"}
        for p in packs
        if not names or p["ConformancePackName"] in names
    ]
    return json.dumps({"ConformancePackDetails": details})


def delete_conformance_pack(self: ConfigResponse) -> str:
    """Remove a pack."""
    name = json.loads(self.body)["ConformancePackName"]
    with EXTENSION_LOCK:
        if _packs(self.current_account, self.region).pop(name, None) is None:
            raise JsonRESTError("NoSuchConformancePackException", f"Conformance pack {name} not found")
    return json.dumps({})


def conformance_pack_template(account: str, region: str, name: str) -> str | None:
    """The template body a pack was put with (for tests: the emulator received what was declared)."""
    with EXTENSION_LOCK:
        pack = _packs(account, region).get(name)
    return pack["TemplateBody"] if pack else None


_SECURITYHUB_METHODS = {
    "batch_enable_standards": batch_enable_standards,
    "batch_disable_standards": batch_disable_standards,
    "get_enabled_standards": get_enabled_standards,
    "create_finding_aggregator": create_finding_aggregator,
    "get_finding_aggregator": get_finding_aggregator,
    "list_finding_aggregators": list_finding_aggregators,
    "delete_finding_aggregator": delete_finding_aggregator,
}
_SECURITYHUB_PATHS = (
    "{0}/standards/register$",
    "{0}/standards/deregister$",
    "{0}/standards/get$",
    "{0}/findingAggregator/create$",
    "{0}/findingAggregator/list$",
    "{0}/findingAggregator/get/(?P<arn>.+)$",
    "{0}/findingAggregator/delete/(?P<arn>.+)$",
)
_CONFIG_METHODS = {
    "put_conformance_pack": put_conformance_pack,
    "describe_conformance_packs": describe_conformance_packs,
    "delete_conformance_pack": delete_conformance_pack,
}


def register(installation: Installation) -> None:
    """Add the Security Hub routes and methods and the Config conformance-pack methods."""
    for path in _SECURITYHUB_PATHS:
        installation.route(securityhub_urls, path, SecurityHubResponse.dispatch)
    for owner, methods in ((SecurityHubResponse, _SECURITYHUB_METHODS), (ConfigResponse, _CONFIG_METHODS)):
        for attribute, method in methods.items():
            installation.add(owner, attribute, method)
