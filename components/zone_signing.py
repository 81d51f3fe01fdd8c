"""DNSSEC signing of a public hosted zone: the signing key, the key-signing key, signing, alarms.

`ZoneSigning(name, ZoneSigningArgs, opts)` (`finstack:traffic:ZoneSigning`) declares, all in us-east-1:

- the KMS key Route 53 signs with: asymmetric `ECC_NIST_P256`, `SIGN_VERIFY`, single-region, with
  a key policy that gives the account administrative operations only (the `KeyAdministration`
  statement of components/keys.py, minus what an asymmetric single-region key cannot do) and
  `dnssec-route53.amazonaws.com` DescribeKey/GetPublicKey/Sign for hosted zones of this account
  plus CreateGrant for AWS resources (Route 53 Developer Guide, "Working with customer managed
  keys for DNSSEC",
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-configuring-dnssec-cmk-requirements.html:
  "must be in the US East (N. Virginia) Region", "an asymmetric customer managed key with an
  ECC_NIST_P256 key spec"), and its alias;
- the zone's key-signing key (KSK), ACTIVE, backed by that key;
- DNSSEC signing of the zone (SIGNING), after the KSK is active;
- the two alarms the guide recommends (`DNSSECInternalFailure`, `DNSSECKeySigningKeysNeedingAction`,
  namespace AWS/Route53, dimension HostedZoneId, published in us-east-1: "Monitoring hosted zones
  using Amazon CloudWatch") to the us-east-1 alert topic.

The chain of trust is not made here: the parent zone must publish the KSK's DS record
(`ds_record`, exported in the `dns` stack output) after the signed zone's records have outlived
their TTLs, and lose it before signing is ever disabled (Route 53 Developer Guide, "Enabling
DNSSEC signing and establishing a chain of trust" and "Disabling DNSSEC signing";
docs/delegation.md). Until the DS record exists resolvers treat the zone as unsigned, which is
safe; a DS record without signing makes the zone unresolvable for validating resolvers.

Route 53 signs only with a key in us-east-1, so a stack without a us-east-1 cell (whose alert
topic and logs key the alarms and query log already need there) cannot sign its zone: the
policy `route53-public-zone-dnssec` then fails, which is the honest state.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.iam_docs import Document
from components.keys import ADMIN_ACTIONS, alias_name
from components.naming import cell_tags

# "The customer managed key that you use with DNSSEC signing must be in the US East (N. Virginia)
# Region" (Route 53 Developer Guide, "Working with customer managed keys for DNSSEC"); the DNSSEC
# metrics are published there too.
SIGNING_REGION = "us-east-1"
KEY_SPEC = "ECC_NIST_P256"
KEY_USAGE = "SIGN_VERIFY"
DNSSEC_SERVICE = "dnssec-route53.amazonaws.com"
# What Route 53 does with the key: read its spec, publish its public half as the DNSKEY, sign.
SIGNING_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Sign")
# Administration of an asymmetric single-region key: the house list without what KMS refuses for
# it. Automatic rotation is for symmetric encryption keys only ("Automatic key rotation is
# supported only on symmetric encryption KMS keys", KMS API reference, EnableKeyRotation); a
# DNSSEC key is rotated by a KSK rollover instead (Route 53 Developer Guide, "Working with
# key-signing keys (KSKs)"). ReplicateKey/UpdatePrimaryRegion apply to multi-Region keys only.
NOT_FOR_SIGNING_KEYS = frozenset(
    {
        "kms:DisableKeyRotation",
        "kms:EnableKeyRotation",
        "kms:GetKeyRotationStatus",
        "kms:ListKeyRotations",
        "kms:ReplicateKey",
        "kms:RotateKeyOnDemand",
        "kms:UpdatePrimaryRegion",
    }
)
SIGNING_KEY_ADMIN_ACTIONS = tuple(a for a in ADMIN_ACTIONS if a not in NOT_FOR_SIGNING_KEYS)
# KSK and signing states the provider writes (terraform-provider-aws, route53 key_signing_key.go /
# hosted_zone_dnssec.go: status ACTIVE|INACTIVE, signing_status SIGNING|NOT_SIGNING).
KSK_STATUS = "ACTIVE"
SIGNING_STATUS = "SIGNING"
# The two errors Route 53 asks to alarm on ("Configuring DNSSEC signing in Amazon Route 53":
# "We strongly recommend that you set up a CloudWatch alarm that alerts you whenever a
# DNSSECInternalFailure or DNSSECKeySigningKeysNeedingAction error is detected").
ALARM_METRICS = ("DNSSECInternalFailure", "DNSSECKeySigningKeysNeedingAction")
# KMS's maximum: a signing key scheduled for deletion by mistake takes the zone down for
# validating resolvers once it is gone; 30 days to notice and cancel.
DELETION_WINDOW_DAYS = 30


def ksk_name(environment: str) -> str:
    """KSK names are 3-128 letters, digits and underscores, unique in the zone (Route 53 API, CreateKeySigningKey)."""
    return f"finstack_{environment}_ksk"


def signing_key_policy(account_id: str, partition: str = iam_docs.PARTITION) -> Document:
    """Key policy of the DNSSEC signing key: account administration; Route 53 DNSSEC signs for this account."""
    root = iam_docs.account_root(account_id, partition)
    service = iam_docs.service_principal(DNSSEC_SERVICE)
    return iam_docs.document(
        iam_docs.statement(
            "KeyAdministration", SIGNING_KEY_ADMIN_ACTIONS, ["*"], principal=iam_docs.aws_principal(root)
        ),
        iam_docs.statement(
            "Route53DnssecSigning",
            SIGNING_ACTIONS,
            ["*"],
            principal=service,
            # Confused deputy: only hosted zones of this account (the guide's statement).
            conditions={
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:route53:::hostedzone/*"},
            },
        ),
        iam_docs.statement(
            "Route53DnssecGrants",
            ["kms:CreateGrant"],
            ["*"],
            principal=service,
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    )


@dataclass(frozen=True)
class ZoneSigningArgs:
    """The zone to sign and its wiring.

    `alarm_topic_arn`: the us-east-1 alert topic (an alarm notifies only a topic of its own region).
    `protect`: prod keeps the key and the KSK from deletion (a deleted signing key leaves validating
    resolvers unable to resolve the zone while the parent still publishes its DS record).
    """

    environment: str
    hosted_zone_id: pulumi.Input[str]
    account_id: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    protect: bool


class ZoneSigning(pulumi.ComponentResource):
    """DNSSEC signing of one hosted zone with a us-east-1 KMS signing key."""

    key_arn: pulumi.Output[str]
    """The ECC_NIST_P256 SIGN_VERIFY key Route 53 signs with."""
    ds_record: pulumi.Output[str]
    """The KSK's DS record: what the parent zone must publish to complete the chain of trust."""
    alarm_arns: dict[str, pulumi.Output[str]]
    """Metric name -> the us-east-1 alarm on it."""

    def __init__(self, name: str, args: ZoneSigningArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("finstack:traffic:ZoneSigning", name, None, opts)
        self._name = name
        self._args = args
        key = self._create_key()
        ksk = aws.route53.KeySigningKey(
            f"{name}-ksk",
            hosted_zone_id=args.hosted_zone_id,
            key_management_service_arn=key.arn,
            name=ksk_name(args.environment),
            status=KSK_STATUS,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # Route 53 refuses to sign without an active KSK (EnableHostedZoneDNSSEC:
        # KeySigningKeyWithActiveStatusNotFound), hence the explicit order.
        aws.route53.HostedZoneDnsSec(
            f"{name}-signing",
            hosted_zone_id=args.hosted_zone_id,
            signing_status=SIGNING_STATUS,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ksk]),
        )
        self.key_arn = key.arn
        self.ds_record = ksk.ds_record
        self.alarm_arns = {metric: self._create_alarm(metric) for metric in ALARM_METRICS}
        self.register_outputs({"key_arn": self.key_arn, "ds_record": self.ds_record, "alarm_arns": self.alarm_arns})

    def _create_key(self) -> aws.kms.Key:
        env = self._args.environment
        key = aws.kms.Key(
            f"{self._name}-key",
            description=f"finstack {env} DNSSEC signing key of the public hosted zone (Route 53 KSK)",
            key_usage=KEY_USAGE,
            customer_master_key_spec=KEY_SPEC,
            # Route 53 uses only a key in us-east-1; a replica elsewhere could sign nothing.
            multi_region=False,
            # Not supported for asymmetric keys; KSK rollover is the rotation (module docstring).
            enable_key_rotation=False,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=pulumi.Output.from_input(self._args.account_id).apply(
                lambda account: iam_docs.dumps(signing_key_policy(account))
            ),
            region=SIGNING_REGION,
            tags=cell_tags(SIGNING_REGION, purpose="dnssec"),
            opts=pulumi.ResourceOptions(parent=self, protect=self._args.protect),
        )
        aws.kms.Alias(
            f"{self._name}-key-alias",
            name=alias_name(env, "dnssec"),
            target_key_id=key.key_id,
            region=SIGNING_REGION,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return key

    def _create_alarm(self, metric: str) -> pulumi.Output[str]:
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-alarm-{metric}",
            name=f"finstack-{self._args.environment}-{metric}",
            alarm_description=f"Route 53 reports {metric} for the public hosted zone: DNSSEC needs an operator",
            namespace="AWS/Route53",
            metric_name=metric,
            dimensions={"HostedZoneId": self._args.hosted_zone_id},
            # Any error in the period is one too many: validating resolvers fail on a broken chain.
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            # Route 53 publishes these only when there is something to report.
            treat_missing_data="notBreaching",
            alarm_actions=[self._args.alarm_topic_arn],
            ok_actions=[self._args.alarm_topic_arn],
            region=SIGNING_REGION,
            tags=cell_tags(SIGNING_REGION),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return alarm.arn
