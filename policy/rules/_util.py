"""Shared helpers for every finstack rule module.

Property access here is *unknown-aware*: the SDK wraps `args.props` in a proxy that raises
`UnknownValueError` on the first unknown (preview-time) value it reads, which makes the SDK
downgrade the whole policy run to one advisory "can't run policy during preview" line. For a
bank that is too quiet, so validators first copy the props with `plain()` (unknowns kept as
the engine's sentinel strings) and then decide per property what an unknown means:

* `fail`    - a literal the components always set (booleans, enums, CIDRs, counts): an unknown
              value is itself a violation ("... is unknown at preview; ...").
* `present` - a reference to another resource of the stack (key ARNs, subnet and group ids): an
              unknown value proves something was set from a resource output; stack policies
              resolve *which* resource through the engine's property dependencies.
* `defer`   - a JSON document that interpolates ARNs (IAM, bucket and key policies): `known()`
              raises `UnknownValueError` so the SDK reports an advisory at preview, and the
              resource policy runs again with the real document before the resource is
              created at `up`, where it blocks.

policy/README.md lists which mode each policy uses.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)

from ._waivers import WAIVERS_SCHEMA, waivable_resource, waivable_stack

UNKNOWNS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)

CELL_TAG = "finstack:cell"
TIER_TAG = "finstack:tier"
ROLE_TAG = "finstack:role"

IPV4_ANY = "0.0.0.0/0"
IPV6_ANY = "::/0"

# Resource types whose instances are global (no region): IAM, Route 53 and the Route 53 ARC
# control plane. Residency and the key-region rule skip them.
GLOBAL_TYPE_PREFIXES = (
    "aws:iam/",
    "aws:route53/",
    "aws:route53domains/",
    "aws:route53recoverycontrolconfig/",
    "aws:route53recoveryreadiness/",
    "aws:organizations/",
)


# --- property access -----------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """True for the engine's preview-time unknown sentinels."""
    return isinstance(value, str) and value in UNKNOWNS


def plain(value: Any) -> Any:
    """A plain dict/list copy of SDK props: proxies unwrapped, unknown sentinels kept."""
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def get(props: Any, path: str) -> Any:
    """`props["a"]["b"]` for path "a.b"; None when absent, the sentinel when a step is unknown.

    Single-element lists are stepped through, since some providers encode a nested block as a
    list of one object.
    """
    current = props
    for part in path.split("."):
        if is_unknown(current):
            return current
        if isinstance(current, list) and len(current) == 1:
            current = current[0]
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def as_list(value: Any) -> list[Any]:
    """None -> [], a list -> itself, anything else -> [value]."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def is_true(value: Any) -> bool:
    """A literal true (the provider also uses the strings "true"/"false" for some flags)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    """A literal false."""
    return value is False or (isinstance(value, str) and value.lower() == "false")


def known(value: Any, path: Sequence[str]) -> Any:
    """Return `value`, or raise the SDK's UnknownValueError so the SDK reports it (`defer` mode)."""
    if is_unknown(value):
        raise UnknownValueError(value, list(path))
    return value


def unknown_message(subject: str, requirement: str) -> str:
    """The message every `fail`-mode policy uses for an unknown security-critical value."""
    return f"{subject} is unknown at preview; it must be {requirement} as a literal so the policy can prove it."


def tags_of(props: Mapping[str, Any]) -> dict[str, Any]:
    """The resource's own tags merged over `tagsAll` (stack outputs carry both)."""
    merged: dict[str, Any] = {}
    for key in ("tagsAll", "tags"):
        value = props.get(key)
        if isinstance(value, Mapping):
            merged.update(value)
    return merged


def tag(props: Mapping[str, Any], key: str) -> Any:
    """One tag value, or None."""
    return tags_of(props).get(key)


# --- regions and ARNs ----------------------------------------------------------------------

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$"
)


@dataclass(frozen=True)
class Arn:
    """The parts of an ARN that rules look at."""

    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(value: Any) -> Arn | None:
    """The ARN parts, or None for anything that is not an ARN string."""
    if not isinstance(value, str):
        return None
    match = _ARN.match(value)
    if not match:
        return None
    return Arn(match["partition"], match["service"], match["region"], match["account"], match["rest"])


def provider_region(provider: Any) -> str | None:
    """The `region` of a PolicyProviderResource, when known."""
    if provider is None:
        return None
    region = plain(provider.props).get("region") if provider.props is not None else None
    return region if isinstance(region, str) and region and not is_unknown(region) else None


def region_of(props: Mapping[str, Any], provider: Any) -> str | None:
    """A resource's region: its explicit `region` input (pulumi-aws v7), else its provider's."""
    region = props.get("region")
    if isinstance(region, str) and region and not is_unknown(region):
        return region
    return provider_region(provider)


def is_global_type(resource_type: str) -> bool:
    """IAM, Route 53 and Route 53 ARC control-plane resources have no region."""
    return resource_type.startswith(GLOBAL_TYPE_PREFIXES)


def is_regional_aws_type(resource_type: str) -> bool:
    """AWS resources (not providers, not components) that live in one region."""
    return resource_type.startswith("aws:") and not is_global_type(resource_type)


AWS_MANAGED_KEY_ALIAS = re.compile(r"(^|:)alias/aws/")


def is_customer_key(value: Any) -> bool:
    """A KMS key reference that is (or will be, when unknown) a customer managed key.

    An unknown value is an output of a resource this stack creates; a stack cannot create an
    AWS managed key, so it is a customer managed one. `alias/aws/<service>` is AWS managed.
    """
    if is_unknown(value):
        return True
    return isinstance(value, str) and bool(value.strip()) and not AWS_MANAGED_KEY_ALIAS.search(value)


# "Private" for the exposure rules: address space that the internet does not route to a VPC.
# Everything else is public, including ranges that stop short of 0.0.0.0/0 (a pair of /1s,
# 8.0.0.0/7), IPv6 global unicast (2000::/3) and reserved or documentation ranges.
PRIVATE_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",  # RFC 1918
        "192.168.0.0/16",  # RFC 1918
        "100.64.0.0/10",  # RFC 6598 shared address space (carrier-grade NAT, VPC secondary CIDRs)
        "169.254.0.0/16",  # RFC 3927 IPv4 link-local (instance metadata; never routed)
        "fc00::/7",  # RFC 4193 IPv6 unique local
        "fe80::/10",  # RFC 4291 IPv6 link-local
    )
)


def parse_cidr(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network of a CIDR string (host bits allowed), or None for anything else."""
    if not isinstance(value, str) or is_unknown(value):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def is_private_network(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Entirely inside one of PRIVATE_NETWORKS."""
    return any(
        network.version == p.version and network.subnet_of(p)  # type: ignore[arg-type]
        for p in PRIVATE_NETWORKS
    )


def cidr_is_public(value: Any) -> bool:
    """A CIDR string that reaches any address outside PRIVATE_NETWORKS; a malformed one counts as public."""
    if not isinstance(value, str) or is_unknown(value):
        return False
    network = parse_cidr(value)
    return network is None or not is_private_network(network)


def cidr_is_any(value: Any) -> bool:
    """0.0.0.0/0 or ::/0 (any spelling, e.g. 0.0.0.0/0 or ::0/0)."""
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_network(value, strict=False).prefixlen == 0
    except ValueError:
        return False


# --- IAM-style documents -------------------------------------------------------------------


def policy_document(value: Any, path: Sequence[str]) -> dict[str, Any] | None:
    """Parse a JSON policy document (`defer` on unknown); None when absent or not JSON."""
    value = known(value, path)
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def statements(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The Statement list of a policy document (a single statement object is allowed)."""
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]  # type: ignore[misc]


def strings(value: Any) -> list[str]:
    """A string-or-list IAM field as a list of strings."""
    return [v for v in as_list(value) if isinstance(v, str)]


# Condition operators that let a request through only when the key is present and equal to (or
# like) a listed value. Negated operators (StringNotEquals, ...) and the ...IfExists variants
# restrict nothing: a request with another value, or without the key, passes them.
_RESTRICTING_OPERATORS = frozenset({"stringequals", "stringlike", "stringequalsignorecase"})


def condition_values(statement: Mapping[str, Any], key: str) -> list[str] | None:
    """The values a statement's Condition requires `key` to match, or None when no operator restricts it."""
    found: list[str] | None = None
    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, Mapping) or str(operator).lower() not in _RESTRICTING_OPERATORS:
            continue
        for name, values in block.items():
            if str(name).lower() == key.lower():
                found = (found or []) + strings(values)
    return found


_ACCOUNT_ID = re.compile(r"^\d{12}$")
# `<service>.<region>.amazonaws.com` (the region may be a wildcard; the service may not).
_VIA_SERVICE = re.compile(r"^[a-z0-9-]+\.[a-z0-9*?-]+\.amazonaws\.com(\.cn)?$")


def is_account_service_scoped(statement: Mapping[str, Any]) -> bool:
    """AWS's documented service-use statement: `kms:CallerAccount` names accounts and `kms:ViaService` services.

    The default key policy of an AWS managed key (aws/ebs, aws/rds, ...) grants `"AWS": "*"` under
    both conditions: only principals of the named account, and only through the named service
    (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account,
    #conditions-kms-via-service). Both must be present under a restricting operator, every
    account value a literal 12-digit id and every service value a named service endpoint.
    """
    accounts = condition_values(statement, "kms:CallerAccount")
    services = condition_values(statement, "kms:ViaService")
    return (
        bool(accounts)
        and bool(services)
        and all(_ACCOUNT_ID.match(a) for a in accounts or [])
        and all(_VIA_SERVICE.match(s.lower()) for s in services or [])
    )


# --- stack view ----------------------------------------------------------------------------


# Plain props of stack resources, shared by the stack policies of one AnalyzeStack call: the
# analyzer hands every stack policy the same PolicyResource objects, and converting each one's
# props again for each of ~40 stack policies was most of AnalyzeStack's time. Keyed by the
# object's identity, with the object kept as part of the value so its id cannot be reused while
# cached, and with its props object, so props replaced on the same resource are converted anew;
# cleared past a size no stack reaches in one call. Policies only read these dicts
# (tests/policy/test_conversion_cache.py compares every answer with the stock SDK's).
_SHARED_PROPS: dict[int, tuple[PolicyResource, Any, dict[str, Any]]] = {}
_SHARED_PROPS_MAX = 50_000


def _shared_plain_props(resource: PolicyResource) -> dict[str, Any]:
    source = resource.props
    cached = _SHARED_PROPS.get(id(resource))
    # The same object with the same props object: a resource whose props were replaced converts anew.
    if cached is not None and cached[0] is resource and cached[1] is source:
        return cached[2]
    if len(_SHARED_PROPS) >= _SHARED_PROPS_MAX:
        _SHARED_PROPS.clear()
    props = plain(source) or {}
    _SHARED_PROPS[id(resource)] = (resource, source, props)
    return props


class StackView:
    """Stack resources with plain props, lookups by type and reference resolution."""

    def __init__(self, resources: Iterable[PolicyResource]):
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] | None = None

    def props(self, resource: PolicyResource) -> dict[str, Any]:
        """The resource's outputs as plain values (unknown sentinels kept); read-only, shared."""
        return _shared_plain_props(resource)

    def of_type(self, *types: str) -> list[PolicyResource]:
        """Resources of any of `types`, in stack order."""
        if self._by_type is None:
            self._by_type = {}
            for resource in self.resources:
                self._by_type.setdefault(resource.resource_type, []).append(resource)
        if len(types) == 1:
            return list(self._by_type.get(types[0], []))
        return [r for r in self.resources if r.resource_type in types]

    def region(self, resource: PolicyResource) -> str | None:
        """The resource's region (explicit input, else its provider's)."""
        return region_of(self.props(resource), resource.provider)

    def references(
        self, resource: PolicyResource, prop: str, types: Sequence[str], keys: Sequence[str] = ("id", "arn")
    ) -> list[PolicyResource]:
        """The resources of `types` that `resource`'s top-level property `prop` points at.

        A known value is matched against the candidates' `keys` outputs; any value (known or
        not) is also resolved through the engine's property dependencies, which is what makes
        this work at preview, when ids are still unknown.
        """
        found: list[PolicyResource] = []
        values = {v for v in _leaf_strings(self.props(resource).get(prop)) if not is_unknown(v)}
        if values:
            for candidate in self.of_type(*types):
                cprops = self.props(candidate)
                if any(cprops.get(k) in values for k in keys):
                    found.append(candidate)
        for dependency in (resource.property_dependencies or {}).get(prop, []):
            if dependency.resource_type in types and dependency not in found:
                found.append(dependency)
        return found

    def regional_regions(self) -> list[str]:
        """Every region some regional AWS resource of the stack lives in, sorted."""
        regions = {self.region(r) for r in self.resources if is_regional_aws_type(r.resource_type)}
        return sorted(r for r in regions if r)


def stack_config() -> dict[str, Any]:
    """The stack config the engine passes the pack as JSON in PULUMI_CONFIG, or {}.

    pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go (`constructEnv`) sets it for every
    analyzer; `finstack check` does the same (finstack/check/pack.py). Structured values (objects,
    lists) arrive as JSON text: `stack_config_value` parses them.
    """
    try:
        config: Any = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    except json.JSONDecodeError:
        return {}
    return config if isinstance(config, dict) else {}


def stack_config_value(key: str) -> Any:
    """One stack config value, structured values parsed from their JSON text; None when absent or malformed."""
    value = stack_config().get(key)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def landing_zone_owns_account_services() -> bool:
    """True when the stack config sets finstack:security.accountServices to landing-zone.

    The trail, GuardDuty, Macie, Security Hub and Config are then the landing zone's, and the
    stack declares none of them.
    """
    security = stack_config_value("finstack:security")
    return isinstance(security, dict) and security.get("accountServices") == "landing-zone"


def stack_accounts(view: StackView) -> set[str]:
    """The account(s) the stack deploys into: those of its own KMS keys' ARNs (known once a key exists).

    A policy has no other source for the account: the engine passes none, and most resources
    (bucket policies above all) carry no account of their own.
    """
    accounts = set()
    for key in view.of_type("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"):
        arn = parse_arn(view.props(key).get("arn"))
        if arn is not None and arn.account:
            accounts.add(arn.account)
    return accounts


def _leaf_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _leaf_strings(v)]
    return []


# --- compliance mapping and policy factories -----------------------------------------------

# Short titles of the PCI DSS v4.0.1 requirements the pack cites (for reports).
PCI_REQUIREMENTS: dict[str, str] = {
    "1.2.1": "Configuration standards for network security controls are defined, implemented and maintained",
    "1.2.5": "All allowed services, protocols and ports are identified, approved and have a business need",
    "1.3.1": "Inbound traffic to the cardholder data environment is restricted to what is necessary",
    "1.3.2": "Outbound traffic from the cardholder data environment is restricted to what is necessary",
    "1.4.1": "Network security controls are implemented between trusted and untrusted networks",
    "1.4.2": "Inbound traffic from untrusted networks to trusted networks is restricted",
    "1.4.4": "System components that store cardholder data are not directly accessible from untrusted networks",
    "2.2.1": "Configuration standards are developed, implemented and maintained",
    "2.2.6": "System security parameters are configured to prevent misuse",
    "3.5.1": "PAN is rendered unreadable anywhere it is stored",
    "3.6.1": "Procedures protect cryptographic keys against disclosure and misuse",
    "3.7.4": "Cryptographic keys are changed at the end of their defined cryptoperiod",
    "4.2.1": "Strong cryptography protects PAN during transmission",
    "6.4.1": "Public-facing web applications are protected against known attacks",
    "6.4.2": "An automated solution detects and prevents web-based attacks on public-facing web applications",
    "7.2.1": "An access control model grants least-privilege access",
    "7.2.2": "Access is assigned based on job classification and function, with least privilege",
    "8.2.1": "Every user is assigned a unique ID before access is allowed",
    "6.3.3": "System components are protected from known vulnerabilities by installing security patches/updates",
    "8.3.1": "All user access to system components is authenticated",
    "8.3.9": "Passwords used as the only authentication factor are changed at least once every 90 days",
    "8.6.3": "Passwords for application and system accounts are protected against misuse (changed periodically)",
    "10.2.1": "Audit logs are enabled and active for all system components",
    "10.3.1": "Read access to audit log files is limited to those with a job-related need",
    "10.3.2": "Audit log files are protected to prevent modifications by individuals",
    "10.3.4": "File integrity monitoring or change-detection mechanisms are used on audit logs",
    "10.5.1": "Audit log history is retained for at least 12 months",
    "11.5.1": "Intrusion-detection and/or intrusion-prevention techniques are used to detect and/or prevent intrusions",
    "12.5.2": "PCI DSS scope, including every location of stored account data, is documented and confirmed",
    "12.10.1": "An incident response plan, including business recovery and continuity, is ready to be activated",
}


# DORA (Regulation (EU) 2022/2554) articles by domain, used when a policy names none: Art. 9
# "Protection and prevention" (encryption, network segmentation, access control), Art. 10
# "Detection" (logging), Art. 11 "Response and recovery" and Art. 12 "Backup policies and
# procedures, restoration and recovery procedures". Residency maps to Art. 28 (ICT third-party
# risk: where a provider processes and stores data), governance to Art. 6 (the ICT risk-management
# framework: the pack's own configuration).
DORA_BY_DOMAIN: dict[str, tuple[str, ...]] = {
    "encryption": ("art9",),
    "transit": ("art9",),
    "network": ("art9",),
    "identity": ("art9",),
    "kubernetes": ("art9",),
    "logging": ("art10",),
    "resilience": ("art11", "art12"),
    "residency": ("art28",),
    "governance": ("art6",),
}


@dataclass(frozen=True)
class Compliance:
    """Where a policy maps: PCI DSS v4.0.1 (first entry = primary), SOC 2, GDPR, DORA, peer controls.

    `controls` are the row IDs of the peer table (policy/README.md "Coverage", e.g.
    `NET-SG-WORLD-INGRESS`); `security_hub` AWS Security Hub control IDs (`EC2.18`); `cis` CIS AWS
    Foundations Benchmark v3.0.0 recommendation numbers (`5.2`); `dora` DORA articles, defaulting to
    the domain's (`DORA_BY_DOMAIN`).
    """

    pci: tuple[str, ...]
    soc2: tuple[str, ...] = ()
    gdpr: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    security_hub: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()
    dora: tuple[str, ...] = ()

    def framework(self) -> PolicyComplianceFramework:
        """The SDK's single framework slot carries the primary PCI DSS requirement."""
        primary = self.pci[0]
        return PolicyComplianceFramework(
            name="PCI DSS", version="4.0.1", reference=primary, specification=PCI_REQUIREMENTS[primary]
        )

    def tags(self, domain: str) -> list[str]:
        """Every mapping as a tag, plus the domain.

        Tags: `pci-dss:3.5.1`, `soc2:CC6.1`, `gdpr:art32`, `dora:art9`, `aws-securityhub:EC2.18`,
        `cis-aws:5.2`, `control:NET-SG-WORLD-INGRESS`.
        """
        dora = self.dora or DORA_BY_DOMAIN.get(domain, ())
        return (
            [f"domain:{domain}"]
            + [f"pci-dss:{r}" for r in self.pci]
            + [f"soc2:{c}" for c in self.soc2]
            + [f"gdpr:{a}" for a in self.gdpr]
            + [f"dora:{a}" for a in dora]
            + [f"aws-securityhub:{c}" for c in self.security_hub]
            + [f"cis-aws:{c}" for c in self.cis]
            + [f"control:{c}" for c in self.controls]
        )

    def with_controls(
        self, *controls: str, security_hub: tuple[str, ...] = (), cis: tuple[str, ...] = ()
    ) -> Compliance:
        """A copy naming the peer controls one policy covers (for shared module-level mappings)."""
        return replace(self, controls=controls, security_hub=security_hub, cis=cis)


@dataclass(frozen=True)
class Setting:
    """One policy config property: its JSON schema (with the default the engine fills in)."""

    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def default(self) -> Any:
        """The schema default (also applied when a runner does not fill defaults in)."""
        return self.schema.get("default")


def settings(args: ResourceValidationArgs | StackValidationArgs, spec: Mapping[str, Setting]) -> dict[str, Any]:
    """The policy's config values, falling back to the schema defaults; JSON floats -> int."""
    config = dict(args.get_config() or {})
    values: dict[str, Any] = {}
    for key, setting in spec.items():
        value = config.get(key, setting.default)
        if setting.schema.get("type") == "integer" and isinstance(value, float) and value.is_integer():
            value = int(value)
        values[key] = value
    return values


def _schema(spec: Mapping[str, Setting] | None) -> PolicyConfigSchema:
    properties: dict[str, dict[str, Any]] = {key: dict(s.schema) for key, s in (spec or {}).items()}
    properties["waivers"] = WAIVERS_SCHEMA
    return PolicyConfigSchema(properties=properties)


ResourceValidator = Callable[[ResourceValidationArgs, ReportViolation], None]
StackValidator = Callable[[StackValidationArgs, ReportViolation], None]


def resource_policy(
    *,
    name: str,
    description: str,
    validate: ResourceValidator,
    domain: str,
    severity: Severity,
    compliance: Compliance,
    remediation: str,
    config: Mapping[str, Setting] | None = None,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """A ResourceValidationPolicy with waivers, compliance mapping and config schema wired in.

    The policy carries a `TypeProbe` of its validator (`finstack_type_probe`), which the pack's
    analyzer (conversion_cache.analyze_once) uses to skip it for resource types it ignores.
    """
    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=waivable_resource(validate),
        enforcement_level=enforcement_level,
        config_schema=_schema(config),
        severity=severity,
        framework=compliance.framework(),
        tags=compliance.tags(domain),
        remediation_steps=remediation,
    )
    policy.finstack_type_probe = TypeProbe(validate)  # type: ignore[attr-defined]
    return policy


class _ReadBeyondType(Exception):
    """The probed validator read more than the resource type, or reported."""


class _TypeOnlyArgs:
    """Validation args that hold only a resource type: any other attribute raises."""

    def __init__(self, resource_type: str) -> None:
        self.resource_type = resource_type

    def __getattr__(self, name: str) -> Any:
        raise _ReadBeyondType(name)


class TypeProbe:
    """Whether a validator ignores every resource of a type, learned once per type.

    Each validator starts with a guard on `args.resource_type`. Called with args that hold only
    the type (anything else it reads, and any report, raises), a validator that returns has
    decided from the type alone, so it returns the same, reporting nothing, for every resource
    of that type: the analyzer may skip calling it. Any other outcome means "applies". With ~110
    policies of which a handful apply to a resource, this skips most of the per-policy work the
    SDK does for each resource (building args, a report closure, the config lookup).
    """

    def __init__(self, validate: ResourceValidator) -> None:
        self._validate = validate
        self._ignored: dict[str, bool] = {}

    def ignores(self, resource_type: str) -> bool:
        """True when the validator returns for `resource_type` without reading anything else."""
        known = self._ignored.get(resource_type)
        if known is None:
            known = self._ignored[resource_type] = self._returns_on_type_alone(resource_type)
        return known

    def _returns_on_type_alone(self, resource_type: str) -> bool:
        def report(*_: Any, **__: Any) -> None:
            raise _ReadBeyondType("report_violation")

        try:
            self._validate(_TypeOnlyArgs(resource_type), report)  # type: ignore[arg-type]
        except Exception:  # anything but a clean return means the policy applies
            return False
        return True


def stack_policy(
    *,
    name: str,
    description: str,
    validate: StackValidator,
    domain: str,
    severity: Severity,
    compliance: Compliance,
    remediation: str,
    config: Mapping[str, Setting] | None = None,
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """A StackValidationPolicy with waivers, compliance mapping and config schema wired in."""
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=waivable_stack(validate),
        enforcement_level=enforcement_level,
        config_schema=_schema(config),
        severity=severity,
        framework=compliance.framework(),
        tags=compliance.tags(domain),
        remediation_steps=remediation,
    )
