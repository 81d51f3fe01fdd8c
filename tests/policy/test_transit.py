"""Encryption-in-transit policies."""

from __future__ import annotations

import json

import pytest
from pulumi_policy.proxy import UnknownValueError

from tests.policy import factories as f
from tests.policy.helpers import DELETE, PRIMARY, UNKNOWN, UNKNOWN_BOOL, check, check_stack, edit, urn

# --- msk-tls-in-transit ----------------------------------------------------------------------


def test_msk_tls_in_transit__compliant_passes():
    assert check("msk-tls-in-transit", f.T_MSK, f.msk_cluster()) == []


def test_msk_tls_in_transit__aws_defaults_pass():
    # AWS defaults clientBroker to TLS and inCluster to true.
    props = edit(f.msk_cluster(), {"encryptionInfo.encryptionInTransit": DELETE})
    assert check("msk-tls-in-transit", f.T_MSK, props) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"encryptionInfo.encryptionInTransit.clientBroker": "TLS_PLAINTEXT"},
            ["MSK cluster encryptionInTransit.clientBroker must be TLS, not TLS_PLAINTEXT."],
        ),
        (
            {"encryptionInfo.encryptionInTransit.clientBroker": "PLAINTEXT"},
            ["MSK cluster encryptionInTransit.clientBroker must be TLS, not PLAINTEXT."],
        ),
        (
            {"encryptionInfo.encryptionInTransit.inCluster": False},
            ["MSK cluster encryptionInTransit.inCluster must be true."],
        ),
    ],
)
def test_msk_tls_in_transit__violation(changes, expected):
    assert check("msk-tls-in-transit", f.T_MSK, edit(f.msk_cluster(), changes)) == expected


def test_msk_tls_in_transit__unknown_fails():
    props = edit(
        f.msk_cluster(),
        {
            "encryptionInfo.encryptionInTransit.clientBroker": UNKNOWN,
            "encryptionInfo.encryptionInTransit.inCluster": UNKNOWN_BOOL,
        },
    )
    assert check("msk-tls-in-transit", f.T_MSK, props) == [
        "MSK cluster encryptionInTransit.clientBroker is unknown at preview; it must be TLS as a literal so the "
        "policy can prove it.",
        "MSK cluster encryptionInTransit.inCluster is unknown at preview; it must be true as a literal so the "
        "policy can prove it.",
    ]


# --- aurora-parameter-group-forces-tls --------------------------------------------------------


def test_aurora_parameter_group_forces_tls__compliant_passes():
    assert check("aurora-parameter-group-forces-tls", f.T_PARAMS, f.parameter_group()) == []


@pytest.mark.parametrize("value", ["0", DELETE])
def test_aurora_parameter_group_forces_tls__postgres_without_force_ssl_fails(value):
    props = f.parameter_group()
    if value is DELETE:
        props["parameters"] = props["parameters"][1:]
    else:
        props = edit(props, {"parameters.0.value": value})
    assert check("aurora-parameter-group-forces-tls", f.T_PARAMS, props) == [
        "Aurora PostgreSQL cluster parameter group must set rds.force_ssl to 1."
    ]


def test_aurora_parameter_group_forces_tls__mysql_needs_require_secure_transport():
    props = {"region": PRIMARY, "family": "aurora-mysql8.0", "parameters": []}
    assert check("aurora-parameter-group-forces-tls", f.T_PARAMS, props) == [
        "Aurora MySQL cluster parameter group must set require_secure_transport to ON."
    ]


def test_aurora_parameter_group_forces_tls__other_families_not_checked():
    props = {"region": PRIMARY, "family": "postgres16", "parameters": []}
    assert check("aurora-parameter-group-forces-tls", f.T_PARAMS, props) == []


def test_aurora_parameter_group_forces_tls__unknown_value_fails():
    props = edit(f.parameter_group(), {"parameters.0.value": UNKNOWN})
    assert check("aurora-parameter-group-forces-tls", f.T_PARAMS, props) == [
        "Aurora PostgreSQL cluster parameter rds.force_ssl is unknown at preview; it must be 1 as a literal so the "
        "policy can prove it."
    ]


# --- aurora-cluster-tls-parameter-group -------------------------------------------------------


def test_aurora_cluster_tls_parameter_group__compliant_stack_passes():
    assert check_stack("aurora-cluster-tls-parameter-group", f.compliant_stack().resources) == []


def test_aurora_cluster_tls_parameter_group__default_group_fails():
    stack = f.compliant_stack()
    name = f"aurora-{PRIMARY}-cluster"
    resources = stack.replace(name, edit(stack.props(name), {"dbClusterParameterGroupName": DELETE}))
    assert check_stack("aurora-cluster-tls-parameter-group", resources) == [
        (
            f"Aurora cluster {name} must use a cluster parameter group that forces TLS, not the engine default group.",
            urn(f.T_CLUSTER, name),
        )
    ]


def test_aurora_cluster_tls_parameter_group__group_outside_stack_fails():
    stack = f.compliant_stack()
    name = f"aurora-{PRIMARY}-cluster"
    stack.named(name).property_dependencies.clear()
    resources = stack.replace(
        name, edit(stack.props(name), {"dbClusterParameterGroupName": "default.aurora-postgresql16"})
    )
    assert check_stack("aurora-cluster-tls-parameter-group", resources) == [
        (
            f"Aurora cluster {name} dbClusterParameterGroupName must name a cluster parameter group of this stack.",
            urn(f.T_CLUSTER, name),
        )
    ]


def test_aurora_cluster_tls_parameter_group__group_without_force_ssl_fails():
    stack = f.compliant_stack()
    group = f"aurora-{PRIMARY}-params"
    resources = stack.replace(group, edit(stack.props(group), {"parameters.0.value": "0"}))
    assert check_stack("aurora-cluster-tls-parameter-group", resources) == [
        (
            f"Aurora cluster aurora-{PRIMARY}-cluster must use a cluster parameter group that forces TLS; "
            f"{group} does not.",
            urn(f.T_CLUSTER, f"aurora-{PRIMARY}-cluster"),
        )
    ]


def test_aurora_cluster_tls_parameter_group__unknown_name_resolved_through_dependencies():
    stack = f.compliant_stack()
    name = f"aurora-{PRIMARY}-cluster"
    resources = stack.replace(name, edit(stack.props(name), {"dbClusterParameterGroupName": UNKNOWN}))
    assert check_stack("aurora-cluster-tls-parameter-group", resources) == []


# --- s3-bucket-policy-tls-only / s3-bucket-policy-attached --------------------------------------


def test_s3_bucket_policy_tls_only__compliant_passes():
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, f.bucket_policy()) == []


def _with_statement(**changes):
    props = f.bucket_policy()
    document = json.loads(props["policy"])
    document["Statement"][0].update(changes)
    props["policy"] = json.dumps(document)
    return props


@pytest.mark.parametrize(
    "changes",
    [
        {"Effect": "Allow"},
        {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
        {"Action": "s3:GetObject"},
        {"Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Condition": {}},
    ],
)
def test_s3_bucket_policy_tls_only__statement_without_tls_deny_fails(changes):
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, _with_statement(**changes)) == [
        'S3 bucket policy must deny s3:* to every principal when aws:SecureTransport is "false".'
    ]


BUCKET_ARN = "arn:aws:s3:::finstack-prod-audit"
COVER_BOTH = f"S3 bucket policy TLS deny must cover both the bucket and its objects ({BUCKET_ARN} and {BUCKET_ARN}/*)."


@pytest.mark.parametrize(
    "resources",
    [
        [BUCKET_ARN, f"{BUCKET_ARN}/*"],
        "*",
        ["*"],
        f"{BUCKET_ARN}*",  # one pattern covering both
    ],
)
def test_s3_bucket_policy_tls_only__deny_covering_bucket_and_objects_passes(resources):
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, _with_statement(Resource=resources)) == []


@pytest.mark.parametrize(
    "resources",
    [
        f"{BUCKET_ARN}/*",  # objects only: ListBucket, GetBucketPolicy... stay open to plain HTTP
        BUCKET_ARN,  # bucket only: GetObject and PutObject stay open to plain HTTP
        [BUCKET_ARN, f"{BUCKET_ARN}/reports/*"],  # a prefix only
        [BUCKET_ARN, f"{BUCKET_ARN}/one-object"],
        ["arn:aws:s3:::another-bucket", "arn:aws:s3:::another-bucket/*"],
        [],
    ],
)
def test_s3_bucket_policy_tls_only__deny_missing_bucket_or_objects_fails(resources):
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, _with_statement(Resource=resources)) == [COVER_BOTH]


def test_s3_bucket_policy_tls_only__two_denies_together_cover_bucket_and_objects():
    props = _with_statement(Resource=BUCKET_ARN)
    document = json.loads(props["policy"])
    document["Statement"].append(
        {**document["Statement"][0], "Sid": "DenyInsecureObjects", "Resource": f"{BUCKET_ARN}/*"}
    )
    props["policy"] = json.dumps(document)
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, props) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"Principal": {"AWS": "111122223333"}},
        {"Action": ["s3:GetObject", "s3:PutObject"]},
        {"Effect": "Allow", "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},  # an extra, not the TLS-only deny
        {"NotResource": "arn:aws:s3:::finstack-prod-audit/public/*"},
    ],
)
def test_s3_bucket_policy_tls_only__near_miss_is_no_tls_deny(changes):
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, _with_statement(**changes)) == [
        'S3 bucket policy must deny s3:* to every principal when aws:SecureTransport is "false".'
    ]


def test_s3_bucket_policy_tls_only__tls_version_deny_is_an_accepted_extra():
    props = f.bucket_policy()
    document = json.loads(props["policy"])
    document["Statement"].append(
        {
            "Sid": "DenyOldTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        }
    )
    props["policy"] = json.dumps(document)
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, props) == []


def test_s3_bucket_policy_tls_only__bool_if_exists_and_principal_aws_star_pass():
    props = _with_statement(
        Principal={"AWS": "*"}, Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}, Action=["s3:*"]
    )
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, props) == []


def test_s3_bucket_policy_tls_only__unknown_bucket_name_judged_by_the_document_arns():
    props = edit(_with_statement(Resource=f"{BUCKET_ARN}/*"), {"bucket": UNKNOWN})
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, props) == [COVER_BOTH]
    assert check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, edit(f.bucket_policy(), {"bucket": UNKNOWN})) == []


def test_s3_bucket_policy_tls_only__unknown_document_defers_to_sdk():
    # The document interpolates the bucket ARN: unknown at preview, checked before creation at `up`.
    with pytest.raises(UnknownValueError):
        check("s3-bucket-policy-tls-only", f.T_BUCKET_POLICY, edit(f.bucket_policy(), {"policy": UNKNOWN}))


def _bucket_resources(*, with_policy: bool):
    stack = f.Stack()
    bucket = stack.add(
        f.T_BUCKET, "audit-bucket", {"region": PRIMARY, "bucket": "finstack-prod-audit", "id": "finstack-prod-audit"}
    )
    if with_policy:
        stack.add(f.T_BUCKET_POLICY, "audit-bucket-policy", edit(f.bucket_policy(), {"bucket": UNKNOWN}), bucket=bucket)
    return stack.resources


def test_s3_bucket_policy_attached__bucket_with_policy_passes():
    assert check_stack("s3-bucket-policy-attached", _bucket_resources(with_policy=True)) == []


def test_s3_bucket_policy_attached__bucket_without_policy_fails():
    assert check_stack("s3-bucket-policy-attached", _bucket_resources(with_policy=False)) == [
        (
            "S3 bucket audit-bucket must have a bucket policy that denies non-TLS requests.",
            urn(f.T_BUCKET, "audit-bucket"),
        )
    ]


# --- lb-listener-modern-tls ------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["aws:lb/listener:Listener", "aws:alb/listener:Listener"])
def test_lb_listener_modern_tls__compliant_passes(type_):
    assert check("lb-listener-modern-tls", type_, f.listener()) == []


def test_lb_listener_modern_tls__fs_tls12_policy_passes():
    props = edit(f.listener(), {"sslPolicy": "ELBSecurityPolicy-FS-1-2-Res-2020-10"})
    assert check("lb-listener-modern-tls", f.T_LISTENER, props) == []


def test_lb_listener_modern_tls__http_redirect_passes():
    props = edit(
        f.listener(),
        {
            "protocol": "HTTP",
            "port": 80,
            "sslPolicy": DELETE,
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
            ],
        },
    )
    assert check("lb-listener-modern-tls", f.T_LISTENER, props) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"protocol": "HTTP", "sslPolicy": DELETE},
            ["Load balancer listener protocol must be HTTPS or TLS, not HTTP; plain HTTP may only redirect to HTTPS."],
        ),
        (
            {"protocol": "TCP", "sslPolicy": DELETE},
            ["Load balancer listener protocol must be HTTPS or TLS, not TCP; plain HTTP may only redirect to HTTPS."],
        ),
        (
            {"sslPolicy": "ELBSecurityPolicy-2016-08"},
            [
                "Load balancer listener sslPolicy must be an ELB security policy that allows TLS 1.2 and later "
                "with forward-secret ciphers only (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), "
                "not ELBSecurityPolicy-2016-08."
            ],
        ),
        (
            {"sslPolicy": DELETE},
            [
                "Load balancer listener sslPolicy must be an ELB security policy that allows TLS 1.2 and later "
                "with forward-secret ciphers only (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), not unset."
            ],
        ),
    ],
)
def test_lb_listener_modern_tls__violation(changes, expected):
    assert check("lb-listener-modern-tls", f.T_LISTENER, edit(f.listener(), changes)) == expected


@pytest.mark.parametrize(
    "ssl_policy",
    [
        "ELBSecurityPolicy-TLS13-1-0-2021-06",
        "ELBSecurityPolicy-TLS13-1-1-2021-06",
        "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-2099-01",
    ],
)
def test_lb_listener_modern_tls__tls13_prefix_that_allows_older_tls_fails(ssl_policy):
    # The TLS13 prefix names the highest version, not the lowest: these also negotiate TLS 1.0/1.1
    # (and an unreviewed name fails until it is added to the allow-list).
    assert check("lb-listener-modern-tls", f.T_LISTENER, edit(f.listener(), {"sslPolicy": ssl_policy})) == [
        "Load balancer listener sslPolicy must be an ELB security policy that allows TLS 1.2 and later with "
        f"forward-secret ciphers only (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), not {ssl_policy}."
    ]


@pytest.mark.parametrize(
    "ssl_policy",
    [
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
        "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    ],
)
def test_lb_listener_modern_tls__tls12_plus_policies_pass(ssl_policy):
    assert check("lb-listener-modern-tls", f.T_LISTENER, edit(f.listener(), {"sslPolicy": ssl_policy})) == []


@pytest.mark.parametrize("ssl_policy", ["ELBSecurityPolicy-FS-2018-06", "ELBSecurityPolicy-FS-1-1-2019-08"])
def test_lb_listener_modern_tls__forward_secret_policy_with_older_tls_fails(ssl_policy):
    assert check("lb-listener-modern-tls", f.T_LISTENER, edit(f.listener(), {"sslPolicy": ssl_policy})) == [
        "Load balancer listener sslPolicy must be an ELB security policy that allows TLS 1.2 and later with "
        f"forward-secret ciphers only (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), not {ssl_policy}."
    ]


def test_lb_listener_modern_tls__unknown_ssl_policy_fails():
    assert check("lb-listener-modern-tls", f.T_LISTENER, edit(f.listener(), {"sslPolicy": UNKNOWN})) == [
        "Load balancer listener sslPolicy is unknown at preview; it must be a TLS 1.2+ security policy as a literal "
        "so the policy can prove it."
    ]


def test_lb_listener_modern_tls__unknown_protocol_fails():
    assert check("lb-listener-modern-tls", f.T_LISTENER, edit(f.listener(), {"protocol": UNKNOWN})) == [
        "Load balancer listener protocol is unknown at preview; it must be HTTPS or TLS as a literal so the policy "
        "can prove it."
    ]


# --- rds-instance-current-ca ----------------------------------------------------------------------


@pytest.mark.parametrize("type_", [f.T_INSTANCE, f.T_DB_INSTANCE])
@pytest.mark.parametrize("ca", ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"])
def test_rds_instance_current_ca__current_ca_passes(type_, ca):
    assert check("rds-instance-current-ca", type_, edit(f.aurora_instance(), {"caCertIdentifier": ca})) == []


@pytest.mark.parametrize(
    ("ca", "shown"), [("rds-ca-2019", "rds-ca-2019"), ("rds-ca-2015", "rds-ca-2015"), (DELETE, "unset")]
)
def test_rds_instance_current_ca__expired_or_unset_ca_fails(ca, shown):
    assert check("rds-instance-current-ca", f.T_INSTANCE, edit(f.aurora_instance(), {"caCertIdentifier": ca})) == [
        "DB instance caCertIdentifier must be one of rds-ca-rsa2048-g1, rds-ca-rsa4096-g1, rds-ca-ecc384-g1, "
        f"not {shown}."
    ]


def test_rds_instance_current_ca__unknown_fails():
    props = edit(f.aurora_instance(), {"caCertIdentifier": UNKNOWN})
    assert check("rds-instance-current-ca", f.T_INSTANCE, props) == [
        "DB instance caCertIdentifier is unknown at preview; it must be one of rds-ca-rsa2048-g1, "
        "rds-ca-rsa4096-g1, rds-ca-ecc384-g1 as a literal so the policy can prove it."
    ]


def test_rds_instance_current_ca__other_types_ignored():
    assert check("rds-instance-current-ca", f.T_CLUSTER, f.aurora_cluster()) == []


# --- msk-tls-in-transit: MSK Connect connectors --------------------------------------------------

T_CONNECTOR = "aws:mskconnect/connector:Connector"


def test_msk_tls_in_transit__tls_connector_passes():
    assert check("msk-tls-in-transit", T_CONNECTOR, f.msk_connector()) == []


@pytest.mark.parametrize(("value", "shown"), [("PLAINTEXT", "PLAINTEXT"), (DELETE, "unset")])
def test_msk_tls_in_transit__plaintext_or_unset_connector_fails(value, shown):
    props = edit(f.msk_connector(), {"kafkaClusterEncryptionInTransit.encryptionType": value})
    assert check("msk-tls-in-transit", T_CONNECTOR, props) == [
        f"MSK Connect connector kafkaClusterEncryptionInTransit.encryptionType must be TLS, not {shown}."
    ]


def test_msk_tls_in_transit__unknown_connector_encryption_fails():
    props = edit(f.msk_connector(), {"kafkaClusterEncryptionInTransit.encryptionType": UNKNOWN})
    assert check("msk-tls-in-transit", T_CONNECTOR, props) == [
        "MSK Connect connector kafkaClusterEncryptionInTransit.encryptionType is unknown at preview; it must be "
        "TLS as a literal so the policy can prove it."
    ]


@pytest.mark.parametrize(
    "ssl_policy",
    [
        # Trivy AVD-AWS-0047 calls these outdated: extended legacy TLS 1.2 ciphers (SHA-1 CBC, static RSA).
        "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
        "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09",
        # TLS 1.2 only but SHA-1 CBC (FS-1-2 without Res) or static-RSA key exchange (TLS-1-2-*).
        "ELBSecurityPolicy-FS-1-2-2019-08",
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    ],
)
def test_lb_listener_modern_tls__tls12_policy_with_weak_ciphers_fails(ssl_policy):
    assert check("lb-listener-modern-tls", f.T_LISTENER, edit(f.listener(), {"sslPolicy": ssl_policy})) == [
        "Load balancer listener sslPolicy must be an ELB security policy that allows TLS 1.2 and later with "
        f"forward-secret ciphers only (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06), not {ssl_policy}."
    ]
