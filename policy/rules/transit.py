"""Encryption in transit: TLS everywhere a client or a replica talks to a data service.

Unset values that AWS defaults to the secure setting pass (MSK clientBroker TLS and inCluster
true); unknown ones fail. Bucket policy documents are `defer`: checked before the resource is
created at `up`, advisory at preview when they interpolate ARNs.
"""

from __future__ import annotations

import fnmatch
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
    parse_arn,
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
MSK_CONNECTOR = "aws:mskconnect/connector:Connector"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
DB_INSTANCES = ("aws:rds/clusterInstance:ClusterInstance", "aws:rds/instance:Instance")

# The RDS server CAs whose root certificates are valid past 2060 ("Certificate authorities",
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.SSL.html); rds-ca-2019
# expired in August 2024. Unset is not accepted: the CA of a new instance is the account's override
# of the Region default (ModifyCertificates, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyCertificates.html)
# or else RDS's Region default, neither of which the stack controls or the pack can see.
CURRENT_RDS_CAS = ("rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1")

# Family prefix -> (parameter that forces TLS, accepted values, the value to show in messages).
TLS_PARAMETERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "aurora-postgresql": ("rds.force_ssl", ("1",), "1"),
    "aurora-mysql": ("require_secure_transport", ("1", "ON"), "ON"),
}
ENGINE_NAMES = {"aurora-postgresql": "Aurora PostgreSQL", "aurora-mysql": "Aurora MySQL"}

# ELB security policies that negotiate TLS 1.2 and later only, with forward-secret key exchange only,
# by exact name, from the AWS docs "Security policies for your Application Load Balancer" and
# "Security policies for your Network Load Balancer" (the same names serve NLB TLS listeners),
# reviewed 2026-12-07:
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
# https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html
# The list is the intersection of what the peers accept, so no peer fails a listener the pack passes:
# - Trivy AVD-AWS-0047 (aws0047 rego) fails ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06 and -Ext2-2021-06
#   as outdated: the Ext* ("extended") policies add legacy TLS 1.2 ciphers (AES*-SHA CBC with SHA-1,
#   and in Ext2 static-RSA key exchange without forward secrecy). Their FIPS and PQ twins
#   (Ext0/Ext1/Ext2-FIPS-2023-04, -PQ-2025-09) are excluded for the same reason.
# - Pulumi's compliance-ready policies accept only the TLS13 1-2/1-3, FIPS-2023-04 and FS-1-2-Res
#   families; ELBSecurityPolicy-FS-1-2-2019-08 (not Res) keeps ECDHE-*-SHA (SHA-1 CBC) ciphers.
# - Checkov CKV_AWS_103 (TLS 1.2+) and CKV2_AWS_74 (strong ciphers: FS, FIPS and TLS13 policies).
# A prefix cannot decide it: ELBSecurityPolicy-TLS13-1-0-2021-06 and -TLS13-1-1-2021-06 (and their
# FIPS twins) share the TLS13 prefix but also negotiate TLS 1.0 / 1.1; ELBSecurityPolicy-FS-2018-06
# and -FS-1-1-2019-08 are forward secret but allow TLS 1.0 / 1.1; ELBSecurityPolicy-TLS-1-2-2017-01
# and -TLS-1-2-Ext-2018-06 are TLS 1.2-only with static-RSA key exchange. An unlisted (future) name
# fails until it is reviewed and added here.
RECOMMENDED_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
MODERN_SSL_POLICIES = frozenset(
    {
        # TLS 1.3 only.
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
        # TLS 1.3 and 1.2 with ECDHE ciphers only (Res: AEAD (GCM) ciphers only).
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
        # TLS 1.2 only, forward-secret SHA-2 ciphers only (for clients without TLS 1.3).
        "ELBSecurityPolicy-FS-1-2-Res-2019-08",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    }
)

TRANSIT = Compliance(pci=("4.2.1",), soc2=("CC6.7",), gdpr=("art32",))


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)


def _msk_tls(args: ResourceValidationArgs, report: Report) -> None:
    """MSK accepts TLS only from clients and encrypts broker-to-broker traffic; MSK Connect connects over TLS.

    A connector's kafkaClusterEncryptionInTransit.encryptionType is PLAINTEXT or TLS
    (https://docs.aws.amazon.com/MSKC/latest/mskc/API_KafkaClusterEncryptionInTransit.html); unset fails.
    """
    if args.resource_type == MSK_CONNECTOR:
        kind = get(plain(args.props), "kafkaClusterEncryptionInTransit.encryptionType")
        if is_unknown(kind):
            report(unknown_message("MSK Connect connector kafkaClusterEncryptionInTransit.encryptionType", "TLS"))
        elif kind != "TLS":
            report(
                f"MSK Connect connector kafkaClusterEncryptionInTransit.encryptionType must be TLS, not {_shown(kind)}."
            )
        return
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


_TLS_DENY_MESSAGE = 'S3 bucket policy must deny s3:* to every principal when aws:SecureTransport is "false".'


def _is_tls_deny(statement: Mapping[str, Any]) -> bool:
    """A Deny of every S3 action (s3:* or *) to every principal when aws:SecureTransport is false.

    Not a TLS deny: an Allow conditioned on aws:SecureTransport "true" (another statement may still
    allow plain HTTP), a deny of some actions only (s3:GetObject), a deny to one account, or a
    NotPrincipal/NotAction/NotResource form. An extra s3:TlsVersion deny is fine but no substitute.
    """
    if statement.get("Effect") != "Deny" or any(k in statement for k in ("NotPrincipal", "NotAction", "NotResource")):
        return False
    principal = statement.get("Principal")
    if not (principal == "*" or (isinstance(principal, Mapping) and "*" in strings(principal.get("AWS")))):
        return False
    if not {"*", "s3:*"} & {a.lower() for a in strings(statement.get("Action"))}:
        return False
    for operator in ("Bool", "BoolIfExists"):
        block = get(statement, f"Condition.{operator}")
        if isinstance(block, Mapping):
            values = [v for k, v in block.items() if str(k).lower() == "aws:securetransport"]
            if any(str(v).lower() == "false" for value in values for v in as_list(value)):
                return True
    return False


def _covers(patterns: list[str], target: str) -> bool:
    """Some IAM resource pattern (`*`, `?` wildcards) matches `target`, itself read literally."""
    return any(fnmatch.fnmatchcase(target, pattern) for pattern in patterns)


def _bucket_names(bucket: Any, patterns: list[str]) -> list[str]:
    """The bucket the policy is for: its `bucket` input, else every bucket its S3 ARNs name."""
    if isinstance(bucket, str) and bucket and not is_unknown(bucket):
        arn = parse_arn(bucket)
        return [arn.resource if arn else bucket]
    return sorted({p.split(":::", 1)[1].split("/", 1)[0] for p in patterns if ":::" in p})


def _bucket_policy_tls_only(args: ResourceValidationArgs, report: Report) -> None:
    """Bucket policies deny every request that does not use TLS, to the bucket and to each of its objects.

    A deny on `arn:aws:s3:::bucket` alone leaves object reads and writes (s3:GetObject,
    s3:PutObject act on `bucket/*`) open to plain HTTP; one on `bucket/*` alone leaves the bucket
    operations (ListBucket, GetBucketPolicy) open. Both ARNs, or `*`, must be covered
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit).
    """
    if args.resource_type != BUCKET_POLICY:
        return
    props = plain(args.props)
    document = policy_document(props.get("policy"), ["policy"])
    denies = [s for s in statements(document) if _is_tls_deny(s)]
    if not denies:
        report(_TLS_DENY_MESSAGE)
        return
    patterns = [r for s in denies for r in strings(s.get("Resource"))]
    names = _bucket_names(props.get("bucket"), patterns)
    partition = "aws"
    for name in names or ["<bucket>"]:
        arn = f"arn:{partition}:s3:::{name}"
        if _covers(patterns, arn) and _covers(patterns, f"{arn}/*"):
            return
    shown = f"arn:{partition}:s3:::{names[0] if names else '<bucket>'}"
    report(f"S3 bucket policy TLS deny must cover both the bucket and its objects ({shown} and {shown}/*).")


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
            "Load balancer listener sslPolicy must be an ELB security policy that allows TLS 1.2 and later with "
            f"forward-secret ciphers only (e.g. {RECOMMENDED_SSL_POLICY}), not {_shown(ssl_policy)}."
        )


def _db_instance_current_ca(args: ResourceValidationArgs, report: Report) -> None:
    """DB instances pin a current RDS server CA (clients verify it with sslmode=verify-full)."""
    if args.resource_type not in DB_INSTANCES:
        return
    ca = plain(args.props).get("caCertIdentifier")
    allowed = ", ".join(CURRENT_RDS_CAS)
    if is_unknown(ca):
        report(unknown_message("DB instance caCertIdentifier", f"one of {allowed}"))
    elif ca not in CURRENT_RDS_CAS:
        report(f"DB instance caCertIdentifier must be one of {allowed}, not {_shown(ca)}.")


POLICIES = [
    resource_policy(
        name="msk-tls-in-transit",
        description="MSK clusters and MSK Connect connectors must use TLS for clients, brokers and connectors.",
        validate=_msk_tls,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=TRANSIT.with_controls(
            "ENC-MSK-TLS-CLIENT", "ENC-MSK-TLS-INCLUSTER", "ENC-MSKCONNECT-TLS", security_hub=("MSK.1", "MSK.3")
        ),
        remediation='Set encryptionInfo.encryptionInTransit={"clientBroker": "TLS", "inCluster": True}.',
    ),
    resource_policy(
        name="aurora-parameter-group-forces-tls",
        description="Aurora cluster parameter groups must refuse connections without TLS.",
        validate=_parameter_group_forces_tls,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT.with_controls("ENC-RDS-TLS"),
        remediation='Add {"name": "rds.force_ssl", "value": "1"} (PostgreSQL) to parameters.',
    ),
    stack_policy(
        name="aurora-cluster-tls-parameter-group",
        description="Every Aurora cluster must use a cluster parameter group of this stack that forces TLS.",
        validate=_cluster_uses_tls_group,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT.with_controls("ENC-RDS-TLS"),
        remediation="Set dbClusterParameterGroupName=<the TLS-forcing ClusterParameterGroup>.name.",
    ),
    resource_policy(
        name="s3-bucket-policy-tls-only",
        description="S3 bucket policies must deny requests that do not use TLS.",
        validate=_bucket_policy_tls_only,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT.with_controls("ENC-S3-TLS-ONLY", security_hub=("S3.5",)),
        remediation=(
            'Add a Deny of s3:* for Principal "*" on [<bucket arn>, <bucket arn>/*] with Condition '
            '{"Bool": {"aws:SecureTransport": "false"}}.'
        ),
    ),
    stack_policy(
        name="s3-bucket-policy-attached",
        description="Every S3 bucket must have a bucket policy so that non-TLS requests are denied.",
        validate=_bucket_policy_attached,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT.with_controls("ENC-S3-TLS-ONLY", security_hub=("S3.5",)),
        remediation="Add an aws.s3.BucketPolicy(bucket=<bucket>.id) with the SecureTransport deny.",
    ),
    resource_policy(
        name="lb-listener-modern-tls",
        description="Load balancer listeners must use HTTPS or TLS with a TLS 1.2+, forward-secret security policy.",
        validate=_listener_tls,
        domain=DOMAIN,
        severity=Severity.HIGH,
        compliance=TRANSIT.with_controls(
            "ENC-LB-HTTPS-ONLY",
            "ENC-LB-HTTP-REDIRECT",
            "ENC-LB-TLS-POLICY",
            security_hub=("ELB.1", "ELB.17", "ELB.18"),
        ),
        remediation=f"Use protocol HTTPS/TLS with sslPolicy {RECOMMENDED_SSL_POLICY}.",
    ),
    resource_policy(
        name="rds-instance-current-ca",
        description="DB instances must pin a current RDS certificate authority for their server certificate.",
        validate=_db_instance_current_ca,
        domain=DOMAIN,
        severity=Severity.MEDIUM,
        compliance=TRANSIT.with_controls("ENC-RDS-CA"),
        remediation="Set caCertIdentifier to rds-ca-rsa2048-g1 (components/aurora_plan.CA_CERT_IDENTIFIER).",
    ),
]
