"""Encryption in transit: TLS everywhere a client or a replica talks to a data service.

Unset values that AWS defaults to the secure setting pass (MSK clientBroker TLS and inCluster
true); unknown ones fail. Bucket policy documents are `defer`: checked before the resource is
created at `up`, advisory at preview when they interpolate ARNs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from ._util import (
    Compliance,
    StackView,
    as_list,
    get,
    is_false,
    is_unknown,
    plain,
    policy_document,
    resource_policy,
    stack_policy,
    statements,
    strings,
    unknown_message,
)

Report = Callable[..., None]

DOMAIN = "transit"

MSK_CLUSTER = "aws:msk/cluster:Cluster"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")

# Family prefix -> (parameter that forces TLS, accepted values, the value to show in messages).
TLS_PARAMETERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "aurora-postgresql": ("rds.force_ssl", ("1",), "1"),
    "aurora-mysql": ("require_secure_transport", ("1", "ON"), "ON"),
}
ENGINE_NAMES = {"aurora-postgresql": "Aurora PostgreSQL", "aurora-mysql": "Aurora MySQL"}

# ELB security policies that negotiate TLS 1.2 and later only, by exact name, from the AWS docs
# "Security policies for your Application Load Balancer" (the same names serve NLB TLS listeners):
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
# A prefix cannot decide it: ELBSecurityPolicy-TLS13-1-0-2021-06 and -TLS13-1-1-2021-06 (and their
# FIPS twins) share the TLS13 prefix but also negotiate TLS 1.0 / 1.1; ELBSecurityPolicy-FS-2018-06
# and -FS-1-1-2019-08 are forward secret but allow TLS 1.0 / 1.1. An unlisted (future) name fails
# until it is reviewed and added here.
RECOMMENDED_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
MODERN_SSL_POLICIES = frozenset(
    {
        # TLS 1.3 only.
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
        # TLS 1.3 and 1.2 (Res: forward-secret AEAD ciphers only; Ext*: more TLS 1.2 ciphers).
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09",
        # TLS 1.2 only, forward-secret ciphers only (for clients without TLS 1.3).
        "ELBSecurityPolicy-FS-1-2-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    }
)

TRANSIT = Compliance(pci=("4.2.1",), soc2=("CC6.7",), gdpr=("art32",))


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)


def _msk_tls(args: ResourceValidationArgs, report: Report) -> None:
    """MSK accepts TLS only from clients and encrypts broker-to-broker traffic."""
    if args.resource_type != MSK_CLUSTER:
        return
    props = plain(args.props)
    client = get(props, "encryptionInfo.encryptionInTransit.clientBroker")
    if is_unknown(client):
        report(unknown_message("MSK cluster encryptionInTransit.clientBroker", "TLS"))
    elif client not in (None, "TLS"):
        report(f"MSK cluster encryptionInTransit.clientBroker must be TLS, not {client}.")
    in_cluster = get(props, "encryptionInfo.encryptionInTransit.inCluster")
    if is_unknown(in_cluster):
        report(unknown_message("MSK cluster encryptionInTransit.inCluster", "true"))
    elif is_false(in_cluster):
        report("MSK cluster encryptionInTransit.inCluster must be true.")


def forces_tls(props: Mapping[str, Any]) -> bool | None:
    """Does this cluster parameter group force TLS? None for families the pack does not know."""
    family = props.get("family")
    for prefix, (parameter, accepted, _) in TLS_PARAMETERS.items():
        if isinstance(family, str) and family.startswith(prefix):
            values = [get(p, "value") for p in as_list(props.get("parameters")) if get(p, "name") == parameter]
            return any(isinstance(v, str) and v.upper() in accepted for v in values)
    return None


def _parameter_group_forces_tls(args: ResourceValidationArgs, report: Report) -> None:
    """Aurora cluster parameter groups refuse non-TLS connections."""
    if args.resource_type != CLUSTER_PARAMETER_GROUP:
        return
    props = plain(args.props)
    family = props.get("family")
    prefix = next((p for p in TLS_PARAMETERS if isinstance(family, str) and family.startswith(p)), None)
    if prefix is None:
        return
    parameter, _, shown = TLS_PARAMETERS[prefix]
    parameters = props.get("parameters")
    values = [get(p, "value") for p in as_list(parameters) if get(p, "name") == parameter]
    if is_unknown(parameters) or any(is_unknown(v) for v in values):
        report(unknown_message(f"{ENGINE_NAMES[prefix]} cluster parameter {parameter}", shown))
    elif not forces_tls(props):
        report(f"{ENGINE_NAMES[prefix]} cluster parameter group must set {parameter} to {shown}.")


def _cluster_uses_tls_group(args: StackValidationArgs, report: Report) -> None:
    """Every Aurora cluster uses a cluster parameter group of this stack that forces TLS."""
    view = StackView(args.resources)
    for cluster in view.of_type(AURORA_CLUSTER):
        if view.props(cluster).get("dbClusterParameterGroupName") is None:
            report(
                f"Aurora cluster {cluster.name} must use a cluster parameter group that forces TLS, "
                "not the engine default group.",
                cluster.urn,
            )
            continue
        groups = view.references(cluster, "dbClusterParameterGroupName", (CLUSTER_PARAMETER_GROUP,), ("name", "id"))
        if not groups:
            report(
                f"Aurora cluster {cluster.name} dbClusterParameterGroupName must name a cluster parameter group "
                "of this stack.",
                cluster.urn,
            )
        for group in groups:
            if not forces_tls(view.props(group)):
                report(
                    f"Aurora cluster {cluster.name} must use a cluster parameter group that forces TLS; "
                    f"{group.name} does not.",
                    cluster.urn,
                )


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if not (principal == "*" or (isinstance(principal, Mapping) and "*" in strings(principal.get("AWS")))):
        return False
    if not {"*", "s3:*"} & set(strings(statement.get("Action"))):
        return False
    condition = get(statement, "Condition.Bool.aws:SecureTransport")
    return any(str(v).lower() == "false" for v in as_list(condition))


def _bucket_policy_tls_only(args: ResourceValidationArgs, report: Report) -> None:
    """Bucket policies deny every request that does not use TLS."""
    if args.resource_type != BUCKET_POLICY:
        return
    document = policy_document(plain(args.props).get("policy"), ["policy"])
    if not any(_denies_insecure_transport(s) for s in statements(document)):
        report('S3 bucket policy must deny s3:* to every principal when aws:SecureTransport is "false".')


def _bucket_policy_attached(args: StackValidationArgs, report: Report) -> None:
    """Every bucket has a bucket policy (which s3-bucket-policy-tls-only then checks)."""
    view = StackView(args.resources)
    policies = view.of_type(BUCKET_POLICY)
    for bucket in view.of_type(*BUCKETS):
        if not any(bucket in view.references(p, "bucket", BUCKETS, keys=("id", "bucket")) for p in policies):
            report(f"S3 bucket {bucket.name} must have a bucket policy that denies non-TLS requests.", bucket.urn)


def _redirects_to_https(actions: Any) -> bool:
    entries = as_list(actions)
    return bool(entries) and all(
        get(a, "type") == "redirect" and get(a, "redirect.protocol") == "HTTPS" for a in entries
    )


def _listener_tls(args: ResourceValidationArgs, report: Report) -> None:
    """Load balancer listeners terminate TLS with a modern policy (HTTP only redirects)."""
    if args.resource_type not in LISTENERS:
        return
    props = plain(args.props)
    protocol = props.get("protocol")
    if is_unknown(protocol):
        report(unknown_message("Load balancer listener protocol", "HTTPS or TLS"))
        return
    if protocol == "HTTP" and _redirects_to_https(props.get("defaultActions")):
        return
    if protocol not in ("HTTPS", "TLS"):
        report(
            f"Load balancer listener protocol must be HTTPS or TLS, not {_shown(protocol)}; "
            "plain HTTP may only redirect to HTTPS."
        )
        return
    ssl_policy = props.get("sslPolicy")
    if is_unknown(ssl_policy):
        report(unknown_message("Load balancer listener sslPolicy", "a TLS 1.2+ security policy"))
    elif ssl_policy not in MODERN_SSL_POLICIES:
        # Unset: AWS applies ELBSecurityPolicy-2016-08 (TLS 1.0-1.2) to listeners created outside the console.
        report(
            "Load balancer listener sslPolicy must be an ELB security policy that allows TLS 1.2 and later only "
            f"(e.g. {RECOMMENDED_SSL_POLICY}), not {_shown(ssl_policy)}."
        )


POLICIES = [
    resource_policy(
        name="msk-tls-in-transit",
        description="MSK clusters must accept TLS only from clients and encrypt traffic between brokers.",
        validate=_msk_tls,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=TRANSIT,
        remediation='Set encryptionInfo.encryptionInTransit={"clientBroker": "TLS", "inCluster": True}.',
    ),
    resource_policy(
        name="aurora-parameter-group-forces-tls",
        description="Aurora cluster parameter groups must refuse connections without TLS.",
        validate=_parameter_group_forces_tls,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT,
        remediation='Add {"name": "rds.force_ssl", "value": "1"} (PostgreSQL) to parameters.',
    ),
    stack_policy(
        name="aurora-cluster-tls-parameter-group",
        description="Every Aurora cluster must use a cluster parameter group of this stack that forces TLS.",
        validate=_cluster_uses_tls_group,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT,
        remediation="Set dbClusterParameterGroupName=<the TLS-forcing ClusterParameterGroup>.name.",
    ),
    resource_policy(
        name="s3-bucket-policy-tls-only",
        description="S3 bucket policies must deny requests that do not use TLS.",
        validate=_bucket_policy_tls_only,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT,
        remediation='Add a Deny of s3:* for Principal "*" with Condition {"Bool": {"aws:SecureTransport": "false"}}.',
    ),
    stack_policy(
        name="s3-bucket-policy-attached",
        description="Every S3 bucket must have a bucket policy so that non-TLS requests are denied.",
        validate=_bucket_policy_attached,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT,
        remediation="Add an aws.s3.BucketPolicy(bucket=<bucket>.id) with the SecureTransport deny.",
    ),
    resource_policy(
        name="lb-listener-modern-tls",
        description="Load balancer listeners must use HTTPS or TLS with a security policy that allows TLS 1.2+ only.",
        validate=_listener_tls,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT,
        remediation=f"Use protocol HTTPS/TLS with sslPolicy {RECOMMENDED_SSL_POLICY}.",
    ),
]
