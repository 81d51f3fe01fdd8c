"""The validated config model of a finstack stack (pydantic v2, frozen, no extra keys).

`Pulumi.<stack>.yaml` -> `load_stack_config()` -> `StackConfig`, before any resource is
declared. Every default lives on its field here, with the reason for it. Validators are
pure: no boto3, no network, no Pulumi runtime.

YAML keys are camelCase (`costCenter`, `instancesPerRegion`), Python attributes snake_case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from ipaddress import IPv4Network
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.aurora_plan import data_api_problem
from components.replication_topology import replication_problems
from components.subnet_plan import SubnetPlanError, check_fits
from components.zones import eks_unsupported
from infra.jurisdictions import JURISDICTIONS, REGION_AZS, REGION_NAME, REGION_ZONE_IDS, ZONE_ID_PREFIX, jurisdiction_of

NAMESPACE = "finstack"
REQUIRED_TAGS = ("owner", "costCenter", "dataClassification")
DATA_CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")

# RFC 1918 space: cells must never be routable from the internet, and other
# "non-public" ranges (CGNAT 100.64/10, link-local) collide with AWS and carrier use.
PRIVATE_RANGES = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
)

# The only values CloudWatch Logs accepts for retentionInDays.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
# PCI DSS 10.5.1: keep audit logs at least twelve months.
PROD_MIN_LOG_RETENTION_DAYS = 365
# Aurora's maximum automated backup retention; prod keeps all of it.
PROD_MIN_BACKUP_RETENTION_DAYS = 35

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DOMAIN_NAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
AWS_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
# An Aurora global database "requires DB instance classes that are optimized for memory-intensive
# applications" (Configuration requirements of an Amazon Aurora global database,
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.configuration.requirements.html);
# AWS refuses a burstable class at `up` with InvalidParameterCombination "The requested instance class is not
# supported by global databases: db.t4g.medium" (hashicorp/terraform-provider-aws#27736), and the RDS Data API the
# drills write through "isn't supported on T DB instance classes"
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html).
# These are the memory-optimized families (R and X) of "Supported DB engines for DB instance classes"
# (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.SupportAurora.html).
# db.serverless also joins global databases, but it needs a Serverless v2 scaling configuration that this
# blueprint does not declare; a family AWS adds later must be added here.
GLOBAL_DATABASE_INSTANCE_FAMILIES = ("r5", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i", "r8g", "r8gd", "x2g")
# No memory-optimized family has a size below large (2 vCPUs, 16 GiB): a large instance is the cheapest a global
# database accepts. r7g is prod's family, so dev rehearses the drills on the same hardware generation.
SMALLEST_GLOBAL_DATABASE_INSTANCE_CLASS = "db.r7g.large"
MAINTENANCE_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)


class ConfigError(Exception):
    """Invalid stack config: `problems` holds one line per problem, each naming key, value and fix."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class RegionConfig(_Model):
    """One active cell."""

    name: str = Field(description="AWS region name, e.g. us-east-1; must be known to finstack.")
    cidr: IPv4Network = Field(description="The cell's VPC CIDR: RFC 1918, /16 to /21 for 3 AZs.")
    azs: int = Field(3, ge=1, le=6, description="Availability zones used; prod needs 3.")
    role: Literal["primary", "secondary"] = Field(
        "secondary", description="Exactly one primary: it holds the Aurora writer and the multi-region primary keys."
    )
    zone_ids: tuple[str, ...] | None = Field(
        None,
        description=(
            "AZ IDs (use1-az1, ...) the cell uses, in AZ order; one per AZ. Unset: the lowest `azs` IDs "
            "Amazon EKS supports. Pin them to keep an existing deployment's zones."
        ),
    )

    @field_validator("name")
    @classmethod
    def _known_region(cls, name: str) -> str:
        if not REGION_NAME.match(name):
            raise ValueError(f"{name!r} is not an AWS region name; write it like us-east-1")
        if name not in REGION_AZS:
            raise ValueError(f"{name!r} is not a region finstack supports; use one of {', '.join(sorted(REGION_AZS))}")
        return name

    @field_validator("cidr")
    @classmethod
    def _private(cls, cidr: IPv4Network) -> IPv4Network:
        if not any(cidr.subnet_of(r) for r in PRIVATE_RANGES):
            raise ValueError(
                f"{cidr} is not private address space; use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
            )
        return cidr

    @model_validator(mode="after")
    def _fits(self) -> RegionConfig:
        if self.azs > REGION_AZS[self.name]:
            raise ValueError(
                f"azs: {self.name} offers {REGION_AZS[self.name]} availability zones, not {self.azs}; "
                f"lower azs to {REGION_AZS[self.name]} or pick another region"
            )
        usable = [z for z in REGION_ZONE_IDS[self.name] if z not in eks_unsupported(self.name)]
        if self.azs > len(usable):
            # Every cell runs EKS, and EKS refuses cluster subnets in some zones (components/zones.py).
            excluded = ", ".join(sorted(set(REGION_ZONE_IDS[self.name]) - set(usable)))
            raise ValueError(
                f"azs: {self.name} offers {len(usable)} availability zones that Amazon EKS supports "
                f"({excluded} excluded), not {self.azs}; lower azs to {len(usable)} or pick another region"
            )
        try:
            check_fits(self.cidr, self.azs)
        except SubnetPlanError as err:
            raise ValueError(f"cidr: {err}") from None
        if self.zone_ids is not None:
            self._check_zone_ids(self.zone_ids)
        return self

    def _check_zone_ids(self, zone_ids: tuple[str, ...]) -> None:
        prefix = ZONE_ID_PREFIX[self.name]
        if len(zone_ids) != self.azs:
            raise ValueError(
                f"zoneIds: {len(zone_ids)} listed for azs: {self.azs}; list one AZ ID per AZ or drop zoneIds"
            )
        foreign = [z for z in zone_ids if not re.fullmatch(rf"{prefix}-az[1-9][0-9]?", z)]
        if foreign:
            raise ValueError(
                f"zoneIds: {', '.join(foreign)}: not an AZ ID of {self.name}; its AZ IDs look like {prefix}-az1 "
                "(aws ec2 describe-availability-zones lists yours)"
            )
        repeated = sorted({z for z in zone_ids if zone_ids.count(z) > 1})
        if repeated:
            raise ValueError(f"zoneIds: {', '.join(repeated)} listed twice; every AZ of a cell must differ")
        refused = [z for z in zone_ids if z in eks_unsupported(self.name)]
        if refused:
            raise ValueError(
                f"zoneIds: Amazon EKS does not accept cluster subnets in {', '.join(refused)}; "
                f"choose other AZ IDs of {self.name}"
            )


KUBE_PROXY_ADDON = "kube-proxy"
# Managed add-on builds for Kubernetes 1.33, as AWS's EKS Blueprints pin them (see EksConfig.addons).
EKS_1_33_ADDONS: dict[str, str] = {
    "vpc-cni": "v1.20.4-eksbuild.2",
    "coredns": "v1.12.1-eksbuild.2",
    KUBE_PROXY_ADDON: "v1.33.3-eksbuild.4",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.2",
    "aws-ebs-csi-driver": "v1.56.0-eksbuild.1",
}


class EksConfig(_Model):
    """EKS cluster and managed node group sizing."""

    version: str = Field("1.33", pattern=r"^1\.\d{2}$", description="Kubernetes minor version.")
    node_instance_types: tuple[str, ...] = Field(
        ("m7i.large",), min_length=1, description="Instance types of the managed node group."
    )
    node_min_size: int = Field(2, ge=0, description="Node group floor per cell; the drills scale above it.")
    node_desired_size: int = Field(3, ge=0, description="Nodes per cell at deploy time.")
    node_max_size: int = Field(
        6,
        ge=1,
        description=(
            "Ceiling: one cell must carry all traffic after a failover (>= nodeDesiredSize x regions). "
            "`up` sets it; the drills never change it, they raise only the desired size up to it."
        ),
    )
    node_disk_gib: int = Field(50, ge=20, le=16384, description="Encrypted gp3 root volume of each node.")
    # A public API endpoint exists only with an explicit allow-list; prod forbids it.
    public_access_cidrs: tuple[IPv4Network, ...] = Field(
        (), description="CIDRs allowed to the public API endpoint; empty = private endpoint only."
    )
    admin_role_arn: str | None = Field(None, description="IAM role granted cluster admin (access entry).")
    readonly_role_arn: str | None = Field(None, description="IAM role granted read-only view (access entry).")
    # Pinned so a `pulumi up` never upgrades an add-on behind the operator's back. The set is the
    # one AWS's own EKS Blueprints pin for Kubernetes 1.33 (awslabs/cdk-eks-blueprints
    # lib/addons/*/index.ts at 0b82904e, 2026-04-08); how to refresh it from
    # `aws eks describe-addon-versions` is in docs/real-aws.md.
    addons: dict[str, str] = Field(
        default_factory=lambda: dict(EKS_1_33_ADDONS),
        description="Managed add-on name -> pinned version.",
    )

    @field_validator("admin_role_arn", "readonly_role_arn")
    @classmethod
    def _role_arn(cls, arn: str | None) -> str | None:
        if arn is not None and not IAM_ROLE_ARN.match(arn):
            raise ValueError(f"{arn!r} is not an IAM role ARN; write arn:aws:iam::<12-digit account>:role/<name>")
        return arn

    @field_validator("public_access_cidrs")
    @classmethod
    def _no_open_endpoint(cls, cidrs: tuple[IPv4Network, ...]) -> tuple[IPv4Network, ...]:
        for cidr in cidrs:
            if cidr.prefixlen == 0:
                raise ValueError(f"{cidr} opens the Kubernetes API to the internet; list your office/VPN CIDRs instead")
        return cidrs

    @model_validator(mode="after")
    def _kube_proxy_matches_cluster(self) -> EksConfig:
        # EKS publishes each kube-proxy add-on build for one cluster minor (v1.33.* for 1.33), and
        # CreateAddon refuses a version not compatible with the cluster; bumping eks.version
        # without the add-ons would fail at deploy time, after the control plane upgrade.
        pinned = self.addons.get(KUBE_PROXY_ADDON)
        match = re.match(r"^v(\d+\.\d+)\.", pinned or "")
        if match and match.group(1) != self.version:
            raise ValueError(
                f"addons.{KUBE_PROXY_ADDON} {pinned} is built for Kubernetes {match.group(1)}, not version "
                f"{self.version}; pin every add-on to a build for {self.version} (aws eks describe-addon-versions "
                f"--kubernetes-version {self.version} --addon-name {KUBE_PROXY_ADDON})"
            )
        return self

    @model_validator(mode="after")
    def _sizes_ordered(self) -> EksConfig:
        if not self.node_min_size <= self.node_desired_size <= self.node_max_size:
            raise ValueError(
                "nodeMinSize <= nodeDesiredSize <= nodeMaxSize must hold, got "
                f"{self.node_min_size}, {self.node_desired_size}, {self.node_max_size}; reorder them"
            )
        return self


class AuroraConfig(_Model):
    """Aurora PostgreSQL global database sizing and protection."""

    engine_version: str = Field(
        "16.6",
        pattern=r"^\d{2}\.\d{1,2}$",
        description=(
            "aurora-postgresql version a new stack is created at; `up` ignores a change (upgrade on the global "
            "cluster, then record the running version here: docs/dr-on-aws.md section 5)."
        ),
    )
    instance_class: str = Field(
        SMALLEST_GLOBAL_DATABASE_INSTANCE_CLASS,
        pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$",
        description="Instance class of every member instance; a memory-optimized class (global database).",
    )
    instances_per_region: int = Field(2, ge=1, le=15, description="Writer/reader instances per cell; prod >= 2.")
    database_name: str = Field("ledger", pattern=r"^[a-z][a-z0-9_]{0,62}$", description="Initial database.")
    backup_retention_days: int = Field(35, ge=1, le=35, description="Automated backups kept; prod 35.")
    backup_window: str = Field("03:00-04:00", description="UTC, hh:mm-hh:mm.")
    maintenance_window: str = Field("sun:05:00-sun:06:00", description="UTC, ddd:hh:mm-ddd:hh:mm.")
    deletion_protection: bool = Field(True, description="Required in prod; dev may turn it off.")
    replication_lag_alarm_seconds: float = Field(
        1.0, gt=0, description="AuroraGlobalDBReplicationLag alarm threshold per secondary."
    )

    @field_validator("engine_version")
    @classmethod
    def _data_api_version(cls, value: str) -> str:
        # The drills' split-brain canary writes through the RDS Data API (enabled on every member).
        problem = data_api_problem(value)
        if problem is not None:
            raise ValueError(f"{problem}: the drills' canary writes through it; use e.g. 16.6")
        return value

    @field_validator("instance_class")
    @classmethod
    def _global_database_class(cls, value: str) -> str:
        family = value.split(".")[1]
        if family in GLOBAL_DATABASE_INSTANCE_FAMILIES:
            return value
        families = ", ".join(f"db.{f}" for f in GLOBAL_DATABASE_INSTANCE_FAMILIES)
        why = (
            f"{value} is a burstable class: AWS refuses it in an Aurora global database and the RDS Data API "
            "does not run on T classes"
            if family.startswith("t")
            else f"{value} is not a class an Aurora global database supports"
        )
        raise ValueError(
            f"{why}; use a memory-optimized class ({families}), e.g. "
            f"{SMALLEST_GLOBAL_DATABASE_INSTANCE_CLASS} (large is the smallest size)"
        )

    @field_validator("backup_window")
    @classmethod
    def _window(cls, value: str) -> str:
        if not AWS_WINDOW.match(value):
            raise ValueError(f"{value!r} is not a window; write hh:mm-hh:mm in UTC, e.g. 03:00-04:00")
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _maintenance(cls, value: str) -> str:
        if not MAINTENANCE_WINDOW.match(value):
            raise ValueError(f"{value!r} is not a window; write ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:05:00-sun:06:00")
        return value


class TopicConfig(_Model):
    """A Kafka topic the platform owns."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9._-]{0,200}$", description="Topic name, <namespace>.<stream> by convention."
    )
    partitions: int = Field(6, ge=1, le=1000, description="Partitions; the unit of consumer parallelism.")
    retention_hours: int = Field(168, ge=1, description="-1 is not allowed: unbounded retention is a cost trap.")


class MskConfig(_Model):
    """MSK cluster sizing and broker defaults."""

    kafka_version: str = Field(
        "3.8.x", pattern=r"^\d+\.\d+(\.\d+|\.x)?(\.tiered|\.kraft)?$", description="MSK Kafka version."
    )
    broker_instance_type: str = Field(
        "kafka.m7g.large", pattern=r"^kafka\.[a-z0-9]+\.[a-z0-9]+$", description="Broker instance type."
    )
    brokers_per_az: int = Field(1, ge=1, le=10, description="Broker count = brokersPerAz x azs.")
    volume_gib: int = Field(1000, ge=1, le=16384, description="EBS per broker at creation.")
    max_volume_gib: int = Field(4000, ge=1, le=16384, description="Storage auto-scaling ceiling.")
    default_replication_factor: int = Field(3, ge=1, description="3 in prod; dev may use fewer brokers.")
    min_insync_replicas: int = Field(2, ge=1, description="2 in prod: a write survives one broker loss.")
    topics: tuple[TopicConfig, ...] = Field(
        (), description="Topics replicated between cells; a dead-letter topic per namespace is added."
    )

    @model_validator(mode="after")
    def _replication(self) -> MskConfig:
        if self.min_insync_replicas > self.default_replication_factor:
            raise ValueError(
                f"minInsyncReplicas ({self.min_insync_replicas}) must not exceed defaultReplicationFactor "
                f"({self.default_replication_factor}); every write would fail"
            )
        if self.max_volume_gib < self.volume_gib:
            raise ValueError(f"maxVolumeGib ({self.max_volume_gib}) must be >= volumeGib ({self.volume_gib})")
        names = [t.name for t in self.topics]
        if len(set(names)) != len(names):
            raise ValueError(f"topics: duplicate topic name {_first_duplicate(names)!r}; list each topic once")
        return self


class NetworkConfig(_Model):
    """Per-cell network options."""

    nat_gateways: Literal["per-az", "single"] = Field(
        "per-az", description="per-az survives an AZ loss (prod); single is the cheap dev choice."
    )
    cross_region_peering: bool = Field(True, description="Private app-tier connectivity between cells.")


class ScaledWorkloadConfig(_Model):
    """A Deployment the ARC Region switch plan scales up in the surviving cell."""

    namespace: str = Field(description="One of finstack:namespaces.")
    deployment: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,251}[a-z0-9])?$", description="Deployment name.")
    hpa_name: str | None = Field(None, description="Its HorizontalPodAutoscaler, when one governs it.")


class TrafficConfig(_Model):
    """Global routing and the DR control plane."""

    arc_enabled: bool = Field(True, description="ARC routing controls and Region switch plan (costly; off in dev).")
    hosted_zone_id: str | None = Field(
        None, pattern=r"^Z[A-Z0-9]{1,31}$", description="Use this existing zone instead of creating one."
    )
    certificate_validation: Literal["wait", "defer"] = Field(
        "wait",
        description=(
            "wait: `up` waits until ACM issues each cell's certificate, then creates the HTTPS listeners. "
            "defer: `up` requests the certificates and writes their validation records but declares no "
            "validation wait and no HTTPS listener (AWS refuses a listener on a certificate that is not "
            "ISSUED); a later `up` with wait adds them once the zone is delegated. Not allowed in prod. "
            "An enum, not a bool, because it names what happens to the listener, not only to the wait."
        ),
    )
    health_check_path: str = Field(
        "/healthz", pattern=r"^/[\w./-]*$", description="HTTPS path Route 53 probes on every cell's API."
    )
    scaled_workloads: tuple[ScaledWorkloadConfig, ...] = Field(
        (), description="Deployments the Region switch plan scales in the surviving cell (prod with ARC)."
    )
    approver_role_arn: str | None = Field(
        None,
        description=(
            "The role allowed to assume the DR approver role, the only principal that may approve the Region "
            "switch plan's writer switch (ARC only). Unset: the operator roles (eks.adminRoleArn), else "
            "principals tagged finstack:dr-approver=true. Set it to a role other people hold than those who run "
            "drills, so the approval is a second person's decision."
        ),
    )

    @field_validator("approver_role_arn")
    @classmethod
    def _approver_role_arn(cls, arn: str | None) -> str | None:
        if arn is not None and not IAM_ROLE_ARN.match(arn):
            raise ValueError(f"{arn!r} is not an IAM role ARN; write arn:aws:iam::<12-digit account>:role/<name>")
        return arn


class KeysConfig(_Model):
    """KMS multi-region keys."""

    deletion_window_days: int = Field(30, ge=7, le=30, description="30 in prod: the longest undo window KMS allows.")
    # KMS refuses a key policy naming a role that does not exist; docs/real-aws.md item 3.
    auto_scaling_service_role: Literal["create", "existing"] = Field(
        "create",
        description="create: the stack declares AWSServiceRoleForAutoScaling (fresh account); "
        "existing: the account already has it.",
    )


# The AWS managed rule groups every web ACL runs (AWS WAF Developer Guide, "AWS Managed Rules rule groups list").
WAF_MANAGED_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
# AWS Backup vault lock: compliance mode needs a cooling-off time of at least 72 hours
# (ChangeableForDays >= 3) before the lock becomes immutable (AWS Backup Developer Guide, "AWS Backup Vault Lock").
MIN_LOCK_CHANGEABLE_DAYS = 3
# Continuous backups (point-in-time restore) keep at most 35 days (AWS Backup Developer Guide, "Continuous backups").
MAX_CONTINUOUS_BACKUP_DAYS = 35


class WafConfig(_Model):
    """The web ACL in front of every internet-facing load balancer."""

    rate_limit: int = Field(
        2000,
        ge=10,
        le=2_000_000_000,
        description="Requests one client IP may send per window before WAF blocks it: the thundering-herd guard.",
    )
    # AWS WAF counts a rate-based rule's requests over 60, 120, 300 or 600 seconds, 10 to 2,000,000,000 of
    # them (AWS WAF Developer Guide, "Rate-based rule statement"; RateBasedStatement in the wafv2 botocore model).
    rate_window_seconds: Literal[60, 120, 300, 600] = Field(300, description="The rate-based rule's window.")
    rule_overrides: dict[str, Literal["count"]] = Field(
        default_factory=dict,
        description=(
            "Managed rule group name -> count: the group only counts (no blocks) while a false positive is tuned; "
            f"names are {', '.join(WAF_MANAGED_GROUPS)}."
        ),
    )

    @field_validator("rule_overrides")
    @classmethod
    def _known_groups(cls, overrides: dict[str, str]) -> dict[str, str]:
        for group in overrides:
            if group not in WAF_MANAGED_GROUPS:
                raise ValueError(
                    f"{group!r} is not a managed rule group the web ACL runs; "
                    f"use one of {', '.join(WAF_MANAGED_GROUPS)}"
                )
        return overrides


class BackupConfig(_Model):
    """AWS Backup: a locked vault per cell, a plan over every Aurora cluster, copies into the other cell."""

    retention_days: int = Field(35, ge=1, description="How long each recovery point (and its copy) is kept.")
    continuous: bool = Field(
        True, description="Continuous backup for point-in-time restore (at most 35 days of retention)."
    )
    lock_min_retention_days: int = Field(7, ge=1, description="Vault lock: no recovery point may be kept less.")
    lock_max_retention_days: int = Field(400, ge=1, description="Vault lock: no recovery point may be kept longer.")
    lock_changeable_days: int = Field(
        MIN_LOCK_CHANGEABLE_DAYS,
        ge=MIN_LOCK_CHANGEABLE_DAYS,
        description="Cooling-off days before the compliance-mode lock becomes immutable (AWS minimum 3).",
    )

    @model_validator(mode="after")
    def _within_lock(self) -> BackupConfig:
        if self.lock_min_retention_days > self.lock_max_retention_days:
            raise ValueError(
                f"lockMinRetentionDays: {self.lock_min_retention_days} exceeds lockMaxRetentionDays "
                f"{self.lock_max_retention_days}; lower the minimum or raise the maximum"
            )
        if not self.lock_min_retention_days <= self.retention_days <= self.lock_max_retention_days:
            raise ValueError(
                f"retentionDays: {self.retention_days} is outside the vault lock's "
                f"{self.lock_min_retention_days}..{self.lock_max_retention_days} days; AWS Backup fails every job "
                "whose retention the lock refuses: change retentionDays or the lock bounds"
            )
        if self.continuous and self.retention_days > MAX_CONTINUOUS_BACKUP_DAYS:
            raise ValueError(
                f"retentionDays: {self.retention_days} exceeds the {MAX_CONTINUOUS_BACKUP_DAYS} days continuous "
                f"backups keep; set retentionDays <= {MAX_CONTINUOUS_BACKUP_DAYS} or continuous: false"
            )
        return self


class SecurityConfig(_Model):
    """The security-operations layer: audit trail, threat detection, posture, edge defence, backups."""

    account_services: Literal["stack", "landing-zone"] = Field(
        "stack",
        description=(
            "stack: this stack declares the account-level services (CloudTrail trail, GuardDuty, Security Hub, "
            "Config, Macie). landing-zone: an organization's landing zone (delegated administrator) owns them; "
            "the stack declares none and `finstack check`/`up` in real mode verify they are on."
        ),
    )
    config_service_role: Literal["create", "existing"] = Field(
        "create",
        description=(
            "create: the stack declares AWSServiceRoleForConfig, which the AWS Config recorders use (retained on "
            "destroy); existing: the account already has it. Ignored under accountServices landing-zone."
        ),
    )
    audit_retention_days: int = Field(
        365,
        ge=1,
        description=(
            "S3 Object Lock (compliance mode) retention of the audit trail's log files; prod >= 365 (PCI DSS 10.5.1)."
        ),
    )
    waf: WafConfig = WafConfig()
    backup: BackupConfig = BackupConfig()


class StackConfig(_Model):
    """Everything a finstack stack is built from; see the README's config reference."""

    aws_region: str = Field(description="aws:region, the provider default; must be the primary region.")
    environment: Literal["dev", "staging", "prod"] = Field(description="prod turns on every protection floor.")
    residency: str = Field(description="Jurisdiction every region must belong to (us, eu, uk, ch, ca, au, jp).")
    regions: tuple[RegionConfig, ...] = Field(min_length=1, description="One active cell per entry.")
    domain: str = Field(description="Public domain: api.<domain> routes to the nearest healthy cell.")
    namespaces: tuple[str, ...] = Field(min_length=1, description="Bounded contexts: one hardened namespace each.")
    tags: dict[str, str] = Field(description="Tags on every resource; owner, costCenter, dataClassification required.")
    log_retention_days: int = Field(365, description="Every log group; prod >= 365 (PCI DSS 10.5.1).")
    eks: EksConfig = EksConfig()
    aurora: AuroraConfig = AuroraConfig()
    msk: MskConfig = MskConfig()
    network: NetworkConfig = NetworkConfig()
    traffic: TrafficConfig = TrafficConfig()
    keys: KeysConfig = KeysConfig()
    security: SecurityConfig = SecurityConfig()

    @field_validator("residency")
    @classmethod
    def _residency(cls, value: str) -> str:
        if value not in JURISDICTIONS:
            raise ValueError(f"{value!r} is not a jurisdiction finstack knows; use one of {', '.join(JURISDICTIONS)}")
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not DOMAIN_NAME.match(value):
            raise ValueError(f"{value!r} is not a DNS domain; write it lower-case like pay.example.com")
        return value

    @field_validator("namespaces")
    @classmethod
    def _namespaces(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            if not DNS_LABEL.match(name) or name.startswith("kube-") or name == "default":
                raise ValueError(
                    f"{name!r} is not a usable Kubernetes namespace; use a lower-case DNS label, not default or kube-*"
                )
        if len(set(names)) != len(names):
            raise ValueError(f"{_first_duplicate(list(names))!r} is listed twice; list each namespace once")
        return names

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
        if missing:
            raise ValueError(f"missing required tag(s) {', '.join(missing)}; add them under finstack:tags")
        if tags["dataClassification"] not in DATA_CLASSIFICATIONS:
            raise ValueError(
                f"dataClassification {tags['dataClassification']!r} is not one of {', '.join(DATA_CLASSIFICATIONS)}"
            )
        return tags

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"{days} is not a CloudWatch Logs retention; use one of {LOG_RETENTION_DAYS}")
        return days

    @model_validator(mode="after")
    def _cells(self) -> StackConfig:
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ValueError(f"finstack:regions: {_first_duplicate(names)} is listed twice; one cell per region")
        primaries = [r.name for r in self.regions if r.role == "primary"]
        if len(primaries) != 1:
            raise ValueError(
                f"finstack:regions: exactly one region must have role: primary, found {len(primaries)}"
                + (f" ({', '.join(primaries)})" if primaries else "")
                + "; mark one primary and the others secondary"
            )
        for index, region in enumerate(self.regions):
            if jurisdiction_of(region.name) != self.residency:
                raise ValueError(
                    f"finstack:regions[{index}].name: {region.name} is outside finstack:residency "
                    f"{self.residency!r} ({', '.join(sorted(JURISDICTIONS[self.residency]))}); "
                    "pick a region of that jurisdiction"
                )
        for i, a in enumerate(self.regions):
            for j in range(i + 1, len(self.regions)):
                b = self.regions[j]
                if a.cidr.overlaps(b.cidr):
                    raise ValueError(
                        f"finstack:regions[{j}].cidr: {b.cidr} ({b.name}) overlaps {a.cidr} ({a.name}); "
                        "give every cell its own block so the VPCs can be peered"
                    )
        if self.aws_region != primaries[0]:
            raise ValueError(
                f"aws:region: {self.aws_region} differs from the primary region {primaries[0]}; "
                f"set aws:region to {primaries[0]}"
            )
        if self.environment == "prod":
            self._prod_floors()
        if self.is_prod and self.traffic.certificate_validation == "defer":
            raise ValueError(
                "finstack:traffic.certificateValidation: 'defer' leaves prod without its HTTPS listeners "
                "(finstack:environment: prod); use wait, and delegate the zone first or set "
                "finstack:traffic.hostedZoneId to a delegated zone (docs/delegation.md)"
            )
        if self.traffic.arc_enabled and len(self.regions) != 2:
            raise ValueError(
                f"finstack:traffic.arcEnabled: an ARC Region switch plan spans exactly two regions, found "
                f"{len(self.regions)}; use two regions or set arcEnabled: false"
            )
        self._approver()
        for index, workload in enumerate(self.traffic.scaled_workloads):
            if workload.namespace not in self.namespaces:
                raise ValueError(
                    f"finstack:traffic.scaledWorkloads[{index}].namespace: {workload.namespace!r} is not one of "
                    f"finstack:namespaces ({', '.join(self.namespaces)}); add it there or fix the name"
                )
        backup = self.security.backup
        if backup.continuous and backup.retention_days != self.aurora.backup_retention_days:
            # AWS Backup's continuous recovery point of an Aurora cluster is the cluster's automated
            # backup, its retention set by the plan (AWS Backup Developer Guide, "Continuous backups and
            # point-in-time recovery" and "Changing your retention period"): unequal, each `up` and each
            # backup job would reset the other's value.
            raise ValueError(
                f"finstack:security.backup.retentionDays: {backup.retention_days} differs from "
                f"finstack:aurora.backupRetentionDays {self.aurora.backup_retention_days}; with continuous backup "
                "AWS Backup sets the cluster's retention, so make them equal"
            )
        if len(self.regions) > 1:
            for region in self.regions:
                problems = replication_problems(self.msk.broker_instance_type, self.msk.brokers_per_az * region.azs)
                if problems:
                    raise ValueError(f"finstack:msk: {problems[0]} (cells replicate to each other)")
        max_rf = min(self.msk.brokers_per_az * r.azs for r in self.regions)
        if self.msk.default_replication_factor > max_rf:
            raise ValueError(
                f"finstack:msk.defaultReplicationFactor: {self.msk.default_replication_factor} exceeds the "
                f"{max_rf} brokers of the smallest cell; lower it or add brokersPerAz"
            )
        return self

    @model_validator(mode="after")
    def _one_cell_carries_all(self) -> StackConfig:
        # After a failover one cell carries every cell's load. The drills raise only a node group's
        # desired size, to the summed baselines, never its maximum: `up` owns min and max (the
        # node group ignores only scalingConfig.desiredSize), and EKS refuses desiredSize > maxSize.
        needed = self.eks.node_desired_size * len(self.regions)
        if self.eks.node_max_size < needed:
            raise ValueError(
                f"finstack:eks.nodeMaxSize: {self.eks.node_max_size} cannot carry all traffic in one cell: "
                f"nodeDesiredSize {self.eks.node_desired_size} x {len(self.regions)} regions = {needed} nodes "
                f"after a failover; raise nodeMaxSize to at least {needed}"
            )
        return self

    def _approver(self) -> None:
        """The approver is a principal of its own: never the DR automation role the drills run as."""
        arn = self.traffic.approver_role_arn
        if arn is None:
            return
        if not self.traffic.arc_enabled:
            raise ValueError(
                "finstack:traffic.approverRoleArn is set but finstack:traffic.arcEnabled is false: without ARC "
                "there is no Region switch approval step; remove approverRoleArn or enable ARC"
            )
        if arn.endswith(f":role/finstack-{self.environment}-dr-automation"):
            raise ValueError(
                f"finstack:traffic.approverRoleArn: {arn} is the DR automation role of finstack:environment "
                f"{self.environment}, the role drills run as; the approval must come from another principal"
            )

    def _prod_floors(self) -> None:
        if len(self.regions) < 2:
            raise ValueError(
                "finstack:regions: prod needs at least two regions for active-active, "
                f"found {len(self.regions)}; add a secondary"
            )
        for index, region in enumerate(self.regions):
            if region.azs < 3:
                raise ValueError(
                    f"finstack:regions[{index}].azs: prod needs 3 availability zones per region, "
                    f"{region.name} has {region.azs}; set azs: 3"
                )
        floors: list[tuple[bool, str]] = [
            (
                self.log_retention_days < PROD_MIN_LOG_RETENTION_DAYS,
                f"finstack:logRetentionDays: prod keeps logs >= {PROD_MIN_LOG_RETENTION_DAYS} days "
                f"(PCI DSS 10.5.1), got {self.log_retention_days}",
            ),
            (
                self.aurora.backup_retention_days < PROD_MIN_BACKUP_RETENTION_DAYS,
                f"finstack:aurora.backupRetentionDays: prod keeps {PROD_MIN_BACKUP_RETENTION_DAYS} days "
                f"of backups, got {self.aurora.backup_retention_days}",
            ),
            (
                self.aurora.instances_per_region < 2,
                "finstack:aurora.instancesPerRegion: prod needs >= 2 instances per region "
                f"(writer + failover reader), got {self.aurora.instances_per_region}",
            ),
            (
                not self.aurora.deletion_protection,
                "finstack:aurora.deletionProtection: prod must keep deletion protection on; set it to true",
            ),
            (
                bool(self.eks.public_access_cidrs),
                "finstack:eks.publicAccessCidrs: prod keeps the Kubernetes API private; remove the list",
            ),
            (
                self.security.audit_retention_days < PROD_MIN_LOG_RETENTION_DAYS,
                f"finstack:security.auditRetentionDays: prod locks audit logs >= {PROD_MIN_LOG_RETENTION_DAYS} "
                f"days (PCI DSS 10.5.1), got {self.security.audit_retention_days}",
            ),
            (
                self.keys.deletion_window_days != 30,
                f"finstack:keys.deletionWindowDays: prod uses 30 days, got {self.keys.deletion_window_days}",
            ),
            (
                self.msk.min_insync_replicas < 2 or self.msk.default_replication_factor < 3,
                "finstack:msk: prod needs minInsyncReplicas >= 2 and defaultReplicationFactor >= 3, got "
                f"{self.msk.min_insync_replicas} and {self.msk.default_replication_factor}",
            ),
        ]
        for broken, message in floors:
            if broken:
                raise ValueError(message)

    @property
    def primary(self) -> RegionConfig:
        """The region holding the Aurora writer and the multi-region primary keys."""
        return next(r for r in self.regions if r.role == "primary")

    @property
    def secondaries(self) -> tuple[RegionConfig, ...]:
        """Every other cell, in config order."""
        return tuple(r for r in self.regions if r.role != "primary")

    @property
    def is_prod(self) -> bool:
        """Prod gets every protection: deletion protection, final snapshots, HA sizes."""
        return self.environment == "prod"


def _first_duplicate(items: list[str]) -> str:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            return item
        seen.add(item)
    return ""


_FIELD_KEYS = {
    name: ("aws:region" if name == "aws_region" else f"{NAMESPACE}:{field.alias}")
    for name, field in StackConfig.model_fields.items()
}
_KEY_FIELDS = {key: name for name, key in _FIELD_KEYS.items()}


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; plain strings stay strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def load_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate a stack's config bag (`{"finstack:regions": ..., "aws:region": ...}`).

    Values may be JSON text (as the Pulumi engine passes them) or already decoded (YAML).
    Raises ConfigError with one line per problem, each naming the key.
    """
    data: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        if key in _KEY_FIELDS:
            data[_KEY_FIELDS[key]] = _decode(value)
        elif key.startswith(f"{NAMESPACE}:"):
            problems.append(f"{key}: not a finstack setting; known keys are {', '.join(sorted(_KEY_FIELDS))}")
    required = [n for n, f in StackConfig.model_fields.items() if f.is_required() and n != "aws_region"]
    for field_name in ("aws_region", *required):
        if field_name not in data:
            problems.append(f"{_FIELD_KEYS[field_name]}: missing; it is required (see the README's config reference)")
    if problems:
        raise ConfigError(problems)
    try:
        return StackConfig.model_validate(data)
    except ValidationError as err:
        errors = err.errors()
        # pydantic adds "should have at least 1 item" for a list whose items all failed:
        # a consequence, not a second problem.
        errors = [
            e
            for e in errors
            if not (
                e["type"] == "too_short"
                and any(o is not e and tuple(o["loc"][: len(e["loc"])]) == tuple(e["loc"]) for o in errors)
            )
        ]
        raise ConfigError([_describe(e) for e in errors]) from None


def _describe(error: Any) -> str:
    """One line for one pydantic error: `<key path>: <message>`."""
    loc = list(error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if not loc:
        return message
    head = _FIELD_KEYS.get(str(loc[0]), f"{NAMESPACE}:{loc[0]}")
    path = head
    for part in loc[1:]:
        path += f"[{part}]" if isinstance(part, int) else f".{to_camel(str(part))}"
    if message.startswith(("cidr: ", "azs: ", "zoneIds: ")):
        field, _, message = message.partition(": ")
        path += f".{field}"
    value = error.get("input")
    shown = "" if isinstance(value, (dict, list, tuple)) or value is None else f" (got {value!r})"
    if error["type"] in ("value_error", "assertion_error"):
        shown = ""
    return f"{path}: {message}{shown}"
