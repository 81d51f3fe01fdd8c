"""finstack's extensions to moto: the AWS behaviour DR drills need and moto 5 lacks.

Activate once per process with `install()` (idempotent; `uninstall()` reverts it). It registers
into moto's own routing tables, so the extensions answer both in-process (`mock_aws`, or
`restricted_mock_aws` here) and through moto's server (`finstack.emulator.server`):

=================================  ==================================================================
API                                Extension (module)
=================================  ==================================================================
rds SwitchoverGlobalCluster,       `aurora`: FailoverState progression on the emulator clock, writer
FailoverGlobalCluster,             flip visible from every Region, detach-and-promote in any Region
RemoveFromGlobalCluster
rds-data ExecuteStatement          `aurora`: writes and reads on the replication model
                                   (`finstack.emulator.writes`)
eks CreateCluster                  `eks_zones`: refuses subnets in AZ IDs Amazon EKS does not support
                                   (``UnsupportedAvailabilityZoneException``)
kafka Create/Describe/List/        `kafka_replicator`: replicators in the target cluster's Region
DeleteReplicator
route53-recovery-control-config    `route53recoverycontrolconfig`: clusters, control panels, routing
                                   controls, safety rules
route53-recovery-cluster           `route53recoverycluster`: routing control state, safety rules
                                   enforced (``ConflictException``)
route53 health checks              `route53_health`: RECOVERY_CONTROL, CALCULATED, inversion,
                                   injected endpoint health
route53 Create/Activate/Deactivate/ `route53_dnssec`: KSKs only on an enabled us-east-1 ECC_NIST_P256
DeleteKeySigningKey, Enable/       SIGN_VERIFY key whose policy lets dnssec-route53 sign
DisableHostedZoneDNSSEC, GetDNSSEC (``InvalidKMSArn``); signing only with an ACTIVE KSK
                                   (``KeySigningKeyWithActiveStatusNotFound``); real DS records
kms CreateKey, PutKeyPolicy,       `kms_policy_principals`: a key policy naming an IAM role that does
ReplicateKey                       not exist is refused (``MalformedPolicyDocumentException``)
acm certificate status,            `acm_issuance`: DNS-validated certificates issue once their
elbv2 CreateListener               validation CNAMEs are in a public zone of the account (not on a
                                   timer); a listener on an unissued one is CertificateNotFound
wafv2 AssociateWebACL,             `wafv2_edge`: a web ACL protects only existing ALBs of its Region
PutLoggingConfiguration,           (``WAFInvalidParameterException``, ``WAFNonexistentItemException``);
ListResourcesForWebACL             log destinations must be named ``aws-waf-logs-...``; lists the ALBs
                                   a web ACL protects (moto lacks the call)
backup Create/Get/Delete/          `backup_selections`: selections of an existing plan with an existing
ListBackupSelections               IAM role (moto has vaults, locks and plans, no selections)
cloudtrail CreateTrail             `cloudtrail_policies`: a trail whose bucket policy or KMS key policy
                                   does not let CloudTrail write is refused
                                   (``InsufficientS3BucketPolicyException`` /
                                   ``InsufficientEncryptionPolicyException``)
cloudtrail PutInsightSelectors,     `cloudtrail_insights`: selectors replaced (not appended), unknown
DescribeTrails                     Insights types refused, ``HasInsightSelectors`` reported
s3 GetBucketNotification-          `s3_eventbridge`: ``EventBridgeConfiguration`` read back when the
Configuration                      bucket delivers to EventBridge (moto drops it)
securityhub standards,             `posture_services`: BatchEnable/GetEnabled/BatchDisableStandards,
finding aggregators; config        Create/Get/List/DeleteFindingAggregator (refused while the hub is
conformance packs                  off), Put/Describe/DeleteConformancePack
ec2 Modify/DescribeVpcBlock-       `vpc_block_public_access`: the region's BPA mode (invalid mode
PublicAccessOptions, Create/       ``InvalidParameterValue``), exclusions of one existing VPC or subnet
Describe/Modify/DeleteVpcBlock-    (``InvalidSubnetID.NotFound``), allowed while BPA is off, refused
PublicAccessExclusion(s)           under a declarative policy (``OperationNotPermitted``)
cloudwatch metric reads            `metrics`: ``AWS/RDS`` AuroraGlobalDBReplicationLag, ``AWS/Kafka``
                                   ReplicationLatency/MessageLag, ``AWS/Route53`` HealthCheckStatus
=================================  ==================================================================

Fault injection and time are in-process functions re-exported below; `finstack.emulator.server`
exposes the same over HTTP under ``/_finstack/``.
"""

from __future__ import annotations

from finstack.emulator.moto_ext._install import install, is_installed, uninstall
from finstack.emulator.moto_ext.aurora import (
    AuroraTimings,
    cancel_operation,
    completed_operations,
    global_database,
    set_aurora_timings,
    set_replication_lag,
    writable_regions,
)
from finstack.emulator.moto_ext.clock import MonotonicClock, VirtualClock, get_clock, set_clock
from finstack.emulator.moto_ext.guard import ALLOWED_SERVICES, restricted_mock_aws
from finstack.emulator.moto_ext.kafka_replicator import set_replicator_lag
from finstack.emulator.moto_ext.route53_health import health_check_status, set_endpoint_health

__all__ = [
    "ALLOWED_SERVICES",
    "AuroraTimings",
    "MonotonicClock",
    "VirtualClock",
    "cancel_operation",
    "completed_operations",
    "get_clock",
    "global_database",
    "health_check_status",
    "install",
    "is_installed",
    "restricted_mock_aws",
    "set_aurora_timings",
    "set_clock",
    "set_endpoint_health",
    "set_replication_lag",
    "set_replicator_lag",
    "uninstall",
    "writable_regions",
]
