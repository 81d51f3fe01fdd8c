"""MSK per cell with active-active cross-region replication (`finstack:streaming:MskPlatform`).

Per cell: a provisioned cluster across every data-tier AZ, IAM auth only, TLS only, encrypted at
rest with the cell's `streaming` key, broker logs in an encrypted log group, storage
auto-scaling, the platform's topics (plus a dead-letter topic per namespace), and alarms. Between
cells: one MSK Replicator per ordered pair of cells, in the target's region, with least-privilege
roles and a cluster policy on every source. Which flows exist and why (full mesh, prefixed topic
names, LEGACY offset sync) is decided in `components/replication_topology.py`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import iam_docs
from components.naming import cell_tags
from components.replication_topology import (
    EXCLUDED_GROUP_PATTERNS,
    EXCLUDED_TOPIC_PATTERNS,
    KAFKA_SERVICE,
    OFFSET_SYNC_MODE,
    TOPIC_NAME_CONFIGURATION,
    Flow,
    KafkaTopic,
    TopicSpec,
    account_of,
    cluster_name,
    dr_partner,
    full_mesh,
    group_patterns,
    inbound,
    outbound,
    platform_topics,
    replication_problems,
    replicator_policy,
    resource_slug,
    source_cluster_policy,
    topic_patterns,
)

# MSK spreads brokers evenly over its client subnets and accepts two or three of them.
MSK_SUBNET_COUNTS = (2, 3)
# Per-topic metrics cost money per topic and broker; prod needs them to find a hot partition
# during an incident, other environments make do with broker-level metrics.
ENHANCED_MONITORING = {"prod": "PER_TOPIC_PER_BROKER"}
DEFAULT_ENHANCED_MONITORING = "PER_BROKER"

# Storage auto-scaling grows broker volumes when their utilisation exceeds this target. MSK can
# grow a volume at most every six hours and never shrinks it, hence the headroom.
STORAGE_TARGET_UTILISATION_PERCENT = 60.0
# Above the scaling target: firing means auto-scaling is not keeping up or hit maxVolumeGib.
DISK_USED_ALARM_PERCENT = 80.0
# A switchover waits for replication to drain; records older than this on the way to a cell are
# outside the stream RPO the DR runbook promises.
REPLICATION_LATENCY_ALARM_MS = 30_000.0
# Records produced in the source that the replicator has not read yet. A backlog this size for
# five minutes is a replicator that cannot keep up (throughput, auth), not a burst.
MESSAGE_LAG_ALARM_RECORDS = 50_000.0
ALARM_PERIOD_SECONDS = 60
SUSTAINED_PERIODS = 5

# What the replicator writes into the target. LZ4 costs the least CPU on the replication path
# and every supported Kafka client decodes it; it keeps target broker disks from holding
# uncompressed copies of compressed source batches.
TARGET_COMPRESSION = "LZ4"


@dataclass(frozen=True)
class MskCellArgs:
    """Wiring of one cell: the network's data tier, the cell's keys and its alert topic."""

    region: str
    data_subnet_ids: Sequence[pulumi.Input[str]]
    kafka_sg_id: pulumi.Input[str]
    streaming_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    alert_topic_arn: pulumi.Input[str]


@dataclass(frozen=True)
class MskPlatformArgs:
    """Inputs of `MskPlatform`: the config's msk block, platform settings, and one cell per region.

    `topics` takes the config's `TopicConfig` entries (anything with name, partitions,
    retention_hours). `primary_region` picks the `replicator_arns` entry of each cell (see
    there); None means the first cell.
    """

    environment: str
    kafka_version: str
    broker_instance_type: str
    brokers_per_az: int
    volume_gib: int
    max_volume_gib: int
    default_replication_factor: int
    min_insync_replicas: int
    topics: tuple[TopicSpec, ...]
    namespaces: tuple[str, ...]
    log_retention_days: int
    cells: tuple[MskCellArgs, ...]
    primary_region: str | None = None


def broker_server_properties(default_replication_factor: int, min_insync_replicas: int) -> str:
    """The cluster configuration every cell's brokers run with (server.properties text)."""
    properties = {
        # Topics exist because they are declared (aws.msk.Topic), never because a client typo'd one.
        "auto.create.topics.enable": "false",
        "default.replication.factor": str(default_replication_factor),
        # With acks=all a write survives the loss of (replication factor - min ISR) brokers.
        "min.insync.replicas": str(min_insync_replicas),
        # Never elect an out-of-sync replica: that silently drops acknowledged records.
        "unclean.leader.election.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in sorted(properties.items()))


@dataclass
class _Role:
    """A replicator's service execution role and its inline policy."""

    role: aws.iam.Role
    policy: aws.iam.RolePolicy


@dataclass
class _Cell:
    """What the replication layer needs from a declared cell."""

    args: MskCellArgs
    name: str
    cluster: aws.msk.Cluster
    topics: list[aws.msk.Topic]


class MskPlatform(pulumi.ComponentResource):
    """One MSK cluster per cell and a full mesh of MSK Replicators between them."""

    cluster_arns: dict[str, pulumi.Output[str]]
    """Region -> ARN of the cell's cluster."""

    cluster_names: dict[str, str]
    """Region -> physical cluster name (`finstack-<env>-<short region>`), known before deploy."""

    bootstrap_brokers: dict[str, pulumi.Output[str]]
    """Region -> SASL/IAM bootstrap brokers (port 9098) for the cell's clients."""

    inbound_replicator_arns: dict[str, dict[str, pulumi.Output[str]]]
    """Target region -> source region -> ARN of the replicator running in the target region."""

    replicator_arns: dict[str, pulumi.Output[str]]
    """Region -> ARN of the replicator into it from its DR partner (the `dr` export's field).

    For a secondary, the replicator from the primary; for the primary, the one from the first
    secondary. With two cells that is the only replicator of each cell; with more, every
    inbound replicator is in `inbound_replicator_arns`. Empty for a single cell.
    """

    def __init__(self, name: str, args: MskPlatformArgs, opts: pulumi.ResourceOptions | None = None):
        regions = [cell.region for cell in args.cells]
        flows = full_mesh(regions)
        self._name = name
        self._args = args
        self._topics = platform_topics(args.topics, args.namespaces)
        self._check(flows)
        super().__init__("finstack:streaming:MskPlatform", name, None, opts)

        cells: dict[str, _Cell] = {}
        for cell in args.cells:
            cells[cell.region] = self._create_cell(cell, replication_source=bool(outbound(flows, cell.region)))
        roles = {flow: self._create_replicator_role(flow, cells) for flow in flows}
        source_policies: dict[str, aws.msk.ClusterPolicy] = {}
        for region in regions:
            if readers := [roles[flow].role for flow in outbound(flows, region)]:
                source_policies[region] = self._create_cluster_policy(cells[region], readers)
        replicators = {
            flow: self._create_replicator(flow, cells, roles[flow], source_policies[flow.source]) for flow in flows
        }

        self.cluster_arns = {region: cell.cluster.arn for region, cell in cells.items()}
        self.cluster_names = {region: cell.name for region, cell in cells.items()}
        self.bootstrap_brokers = {region: cell.cluster.bootstrap_brokers_sasl_iam for region, cell in cells.items()}
        self.inbound_replicator_arns = {
            region: {flow.source: replicators[flow].arn for flow in inbound(flows, region)} for region in regions
        }
        primary = args.primary_region or regions[0]
        self.replicator_arns = {}
        for region in regions:
            partner = dr_partner(regions, region, primary)
            if partner is not None:
                self.replicator_arns[region] = replicators[Flow(partner, region)].arn
        self.register_outputs(
            {
                "cluster_arns": self.cluster_arns,
                "cluster_names": self.cluster_names,
                "bootstrap_brokers": self.bootstrap_brokers,
                "inbound_replicator_arns": self.inbound_replicator_arns,
                "replicator_arns": self.replicator_arns,
            }
        )

    # -- checks ------------------------------------------------------------------------------
    def _check(self, flows: tuple[Flow, ...]) -> None:
        """Refuse, before declaring anything, what AWS would refuse an hour into `up`."""
        for cell in self._args.cells:
            if len(cell.data_subnet_ids) not in MSK_SUBNET_COUNTS:
                raise ValueError(
                    f"MSK in {cell.region}: {len(cell.data_subnet_ids)} data subnets given; MSK spreads "
                    f"brokers over {' or '.join(map(str, MSK_SUBNET_COUNTS))} AZs; set the region's azs accordingly"
                )
            brokers = self._args.brokers_per_az * len(cell.data_subnet_ids)
            if flows and (problems := replication_problems(self._args.broker_instance_type, brokers)):
                raise ValueError(f"finstack:msk in {cell.region}: " + "; ".join(problems))

    # -- one cell ----------------------------------------------------------------------------
    def _create_cell(self, cell: MskCellArgs, replication_source: bool) -> _Cell:
        args, region = self._args, cell.region
        prefix = f"{self._name}-{region}"
        physical = cluster_name(args.environment, region)
        configuration = aws.msk.Configuration(
            f"{prefix}-config",
            name=physical,
            kafka_versions=[args.kafka_version],
            server_properties=broker_server_properties(args.default_replication_factor, args.min_insync_replicas),
            description=f"finstack {args.environment} brokers of {region}",
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        broker_logs = aws.cloudwatch.LogGroup(
            f"{prefix}-broker-logs",
            name=f"/finstack/msk/{physical}/brokers",
            kms_key_id=cell.logs_key_arn,
            retention_in_days=args.log_retention_days,
            # Broker logs are the audit trail of the brokers: CloudWatch Logs refuses DeleteLogGroup
            # while deletion protection is on ("Protecting log groups from deletion", CloudWatch Logs
            # User Guide). Prod only, like the cluster's `protect`: dev is rebuilt daily.
            deletion_protection_enabled=args.environment == "prod",
            region=region,
            tags=cell_tags(region),
            opts=pulumi.ResourceOptions(parent=self),
        )
        brokers = args.brokers_per_az * len(cell.data_subnet_ids)
        cluster = aws.msk.Cluster(
            f"{prefix}-cluster",
            cluster_name=physical,
            kafka_version=args.kafka_version,
            # Equal brokers per AZ: MSK places one broker per client subnet in turn.
            number_of_broker_nodes=brokers,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                client_subnets=list(cell.data_subnet_ids),
                instance_type=args.broker_instance_type,
                security_groups=[cell.kafka_sg_id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=args.volume_gib,
                    ),
                ),
                # Public access stays at its default, DISABLED: declaring the default makes the
                # provider send a no-op UpdateConnectivity that AWS rejects
                # (hashicorp/terraform-provider-aws#33204).
                connectivity_info=self._connectivity(replication_source),
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam=True, scram=False),
                unauthenticated=False,
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                # The cell's own replica of the streaming key: the cell never depends on another region.
                encryption_at_rest_kms_key_arn=cell.streaming_key_arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS",
                    in_cluster=True,
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=configuration.arn,
                revision=configuration.latest_revision,
            ),
            enhanced_monitoring=ENHANCED_MONITORING.get(args.environment, DEFAULT_ENHANCED_MONITORING),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True,
                        log_group=broker_logs.name,
                    ),
                ),
            ),
            region=region,
            tags=cell_tags(region),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Storage auto-scaling grows the volumes outside Pulumi; without this the next
                # `up` would try to shrink them back to volumeGib, which MSK refuses.
                ignore_changes=["brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"],
                # A prod cluster holds the cell's unreplicated tail: never delete it by accident.
                protect=args.environment == "prod",
            ),
        )
        self._create_storage_scaling(prefix, region, cluster)
        topics = self._create_topics(prefix, region, cluster)
        self._create_cluster_alarms(prefix, cell, physical, brokers, cluster)
        return _Cell(cell, physical, cluster, topics)

    @staticmethod
    def _connectivity(replication_source: bool) -> aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs | None:
        """Multi-VPC private connectivity with IAM auth: how a replicator in another region reads.

        MSK refuses it at cluster creation; the provider creates the cluster and then turns it
        on with UpdateConnectivity, which adds time to the first `up`.
        """
        if not replication_source:
            return None
        return aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
            vpc_connectivity=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoVpcConnectivityArgs(
                client_authentication=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoVpcConnectivityClientAuthenticationArgs(
                    sasl=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoVpcConnectivityClientAuthenticationSaslArgs(
                        iam=True,
                    ),
                ),
            ),
        )

    def _create_storage_scaling(self, prefix: str, region: str, cluster: aws.msk.Cluster) -> None:
        target = aws.appautoscaling.Target(
            f"{prefix}-storage-scaling",
            service_namespace="kafka",
            scalable_dimension="kafka:broker-storage:VolumeSize",
            resource_id=cluster.arn,
            min_capacity=self._args.volume_gib,
            max_capacity=self._args.max_volume_gib,
            region=region,
            tags=cell_tags(region),
            opts=pulumi.ResourceOptions(parent=cluster),
        )
        aws.appautoscaling.Policy(
            f"{prefix}-storage-policy",
            policy_type="TargetTrackingScaling",
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            service_namespace=target.service_namespace,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="KafkaBrokerStorageUtilization",
                ),
                target_value=STORAGE_TARGET_UTILISATION_PERCENT,
                # MSK cannot shrink a broker volume.
                disable_scale_in=True,
            ),
            region=region,
            opts=pulumi.ResourceOptions(parent=cluster),
        )

    def _create_topics(self, prefix: str, region: str, cluster: aws.msk.Cluster) -> list[aws.msk.Topic]:
        """The platform topics through MSK's topic API (provisioned, Kafka >= 3.6, IAM-authorised).

        The deployer needs no network path to the brokers, only kafka-cluster IAM actions.
        """
        return [
            aws.msk.Topic(
                f"{prefix}-topic-{resource_slug(topic.name)}",
                cluster_arn=cluster.arn,
                name=topic.name,
                partition_count=topic.partitions,
                replication_factor=self._args.default_replication_factor,
                configs=json.dumps(_topic_configs(topic, self._args.min_insync_replicas), sort_keys=True),
                region=region,
                opts=pulumi.ResourceOptions(parent=cluster),
            )
            for topic in self._topics
        ]

    def _create_cluster_alarms(
        self, prefix: str, cell: MskCellArgs, physical: str, brokers: int, cluster: aws.msk.Cluster
    ) -> None:
        # MSK's broker metrics carry dimensions with spaces: "Cluster Name", "Broker ID".
        self._alarm(
            f"{prefix}-offline-partitions-alarm",
            cell,
            name=f"{physical}-offline-partitions",
            description=f"{physical}: partitions without a leader; producers and consumers of them are stopped.",
            metric="OfflinePartitionsCount",
            dimensions={"Cluster Name": physical},
            statistic="Maximum",
            threshold=0.0,
            periods=1,
            # The controller reports every minute; silence means the cluster or its metrics are gone.
            missing="breaching",
            parent=cluster,
        )
        for broker in range(1, brokers + 1):
            self._alarm(
                f"{prefix}-disk-{broker}-alarm",
                cell,
                name=f"{physical}-broker-{broker}-disk",
                description=(
                    f"{physical} broker {broker}: data volume above {DISK_USED_ALARM_PERCENT:.0f}%; "
                    "storage auto-scaling is behind or at maxVolumeGib."
                ),
                metric="KafkaDataLogsDiskUsed",
                dimensions={"Cluster Name": physical, "Broker ID": str(broker)},
                statistic="Maximum",
                threshold=DISK_USED_ALARM_PERCENT,
                periods=SUSTAINED_PERIODS,
                missing="missing",
                parent=cluster,
            )

    # -- replication -------------------------------------------------------------------------
    def _flow_prefix(self, flow: Flow) -> str:
        return f"{self._name}-{flow.source}-to-{flow.target}"

    def _create_replicator_role(self, flow: Flow, cells: dict[str, _Cell]) -> _Role:
        """The replicator's service execution role: one per flow, so quotas and audit are per flow."""
        prefix = self._flow_prefix(flow)
        source, target = cells[flow.source].cluster, cells[flow.target].cluster
        role = aws.iam.Role(
            f"{prefix}-replicator-role",
            name=f"{flow.replicator_name(self._args.environment)}-replicator",
            description=f"MSK Replicator {flow.source} -> {flow.target}: reads the source, writes the target",
            # Same account as both clusters (MSK Replicator requires it), so the source cluster's
            # ARN names the account the trust is pinned to.
            assume_role_policy=source.arn.apply(
                lambda arn: iam_docs.dumps(iam_docs.assume_role_policy(KAFKA_SERVICE, source_account=account_of(arn)))
            ),
            tags=cell_tags(flow.target),
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic_names = [t.name for t in self._topics]
        namespaces = list(self._args.namespaces)
        policy = aws.iam.RolePolicy(
            f"{prefix}-replicator-policy",
            role=role.name,
            policy=pulumi.Output.all(source.arn, target.arn).apply(
                lambda arns: iam_docs.dumps(replicator_policy(arns[0], arns[1], topic_names, namespaces))
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        return _Role(role, policy)

    def _create_cluster_policy(self, cell: _Cell, readers: list[aws.iam.Role]) -> aws.msk.ClusterPolicy:
        topic_names = [t.name for t in self._topics]
        namespaces = list(self._args.namespaces)
        return aws.msk.ClusterPolicy(
            f"{self._name}-{cell.args.region}-cluster-policy",
            cluster_arn=cell.cluster.arn,
            policy=pulumi.Output.all(cell.cluster.arn, *[r.arn for r in readers]).apply(
                lambda values: iam_docs.dumps(source_cluster_policy(values[0], values[1:], topic_names, namespaces))
            ),
            region=cell.args.region,
            opts=pulumi.ResourceOptions(parent=cell.cluster),
        )

    def _create_replicator(
        self, flow: Flow, cells: dict[str, _Cell], role: _Role, source_policy: aws.msk.ClusterPolicy
    ) -> aws.msk.Replicator:
        args = self._args
        prefix = self._flow_prefix(flow)
        source, target = cells[flow.source], cells[flow.target]
        physical = flow.replicator_name(args.environment)
        logs = aws.cloudwatch.LogGroup(
            f"{prefix}-replicator-logs",
            name=f"/finstack/msk/{physical}",
            kms_key_id=target.args.logs_key_arn,
            retention_in_days=args.log_retention_days,
            deletion_protection_enabled=args.environment == "prod",  # as the broker logs
            region=flow.target,
            tags=cell_tags(flow.target),
            opts=pulumi.ResourceOptions(parent=self),
        )
        replicator = aws.msk.Replicator(
            f"{prefix}-replicator",
            replicator_name=physical,
            description=f"finstack {args.environment}: platform topics written in {flow.source}, into {flow.target}",
            service_execution_role_arn=role.role.arn,
            kafka_clusters=[
                # Cross-region source: reached over its multi-VPC connectivity, so MSK wants the
                # source region's subnets and no security group.
                aws.msk.ReplicatorKafkaClusterArgs(
                    amazon_msk_cluster=aws.msk.ReplicatorKafkaClusterAmazonMskClusterArgs(
                        msk_cluster_arn=source.cluster.arn,
                    ),
                    vpc_config=aws.msk.ReplicatorKafkaClusterVpcConfigArgs(
                        subnet_ids=list(source.args.data_subnet_ids),
                    ),
                ),
                # Target: the replicator's ENIs sit in the target's data tier, in the kafka group
                # (port 9098 to the brokers).
                aws.msk.ReplicatorKafkaClusterArgs(
                    amazon_msk_cluster=aws.msk.ReplicatorKafkaClusterAmazonMskClusterArgs(
                        msk_cluster_arn=target.cluster.arn,
                    ),
                    vpc_config=aws.msk.ReplicatorKafkaClusterVpcConfigArgs(
                        subnet_ids=list(target.args.data_subnet_ids),
                        security_groups_ids=[target.args.kafka_sg_id],
                    ),
                ),
            ],
            replication_info_list=aws.msk.ReplicatorReplicationInfoListArgs(
                source_kafka_cluster_arn=source.cluster.arn,
                target_kafka_cluster_arn=target.cluster.arn,
                target_compression_type=TARGET_COMPRESSION,
                topic_replications=[self._topic_replication()],
                consumer_group_replications=[
                    aws.msk.ReplicatorReplicationInfoListConsumerGroupReplicationArgs(
                        consumer_groups_to_replicates=group_patterns(args.namespaces),
                        consumer_groups_to_excludes=list(EXCLUDED_GROUP_PATTERNS),
                        synchronise_consumer_group_offsets=True,
                        detect_and_copy_new_consumer_groups=True,
                        consumer_group_offset_sync_mode=OFFSET_SYNC_MODE,
                    )
                ],
            ),
            log_delivery=aws.msk.ReplicatorLogDeliveryArgs(
                replicator_log_delivery=aws.msk.ReplicatorLogDeliveryReplicatorLogDeliveryArgs(
                    cloudwatch_logs=aws.msk.ReplicatorLogDeliveryReplicatorLogDeliveryCloudwatchLogsArgs(
                        enabled=True,
                        log_group=logs.name,
                    ),
                ),
            ),
            region=flow.target,
            tags=cell_tags(flow.target),
            opts=pulumi.ResourceOptions(
                parent=self,
                # The role's permissions and the source's cluster policy must be in force before
                # MSK validates access, and the source topics must exist to be replicated.
                depends_on=[source_policy, role.policy, *source.topics],
            ),
        )
        self._create_replicator_alarms(flow, physical, target.args, replicator)
        return replicator

    def _topic_replication(self) -> aws.msk.ReplicatorReplicationInfoListTopicReplicationArgs:
        return aws.msk.ReplicatorReplicationInfoListTopicReplicationArgs(
            # Only topics written in the source cell; see replication_topology for why prefixed.
            topics_to_replicates=topic_patterns(t.name for t in self._topics),
            topics_to_excludes=list(EXCLUDED_TOPIC_PATTERNS),
            topic_name_configuration=aws.msk.ReplicatorReplicationInfoListTopicReplicationTopicNameConfigurationArgs(
                type=TOPIC_NAME_CONFIGURATION,
            ),
            # A replaced replicator re-copies the retained records: duplicates are safe for
            # idempotent consumers, a gap in a ledger stream is not.
            starting_position=aws.msk.ReplicatorReplicationInfoListTopicReplicationStartingPositionArgs(
                type="EARLIEST",
            ),
            copy_topic_configurations=True,
            # IAM access control: there are no Kafka ACLs to copy.
            copy_access_control_lists_for_topics=False,
            # Within the allowlist this picks up partitions added to a source topic.
            detect_and_copy_new_topics=True,
        )

    def _create_replicator_alarms(
        self, flow: Flow, physical: str, target: MskCellArgs, replicator: aws.msk.Replicator
    ) -> None:
        # Replicator metrics are published in the target region; records only flow when
        # producers write, so silence is not an outage here.
        prefix = self._flow_prefix(flow)
        dimensions = {"ReplicatorName": physical}
        self._alarm(
            f"{prefix}-latency-alarm",
            target,
            name=f"{physical}-replication-latency",
            description=(
                f"{physical}: records take over {REPLICATION_LATENCY_ALARM_MS / 1000:.0f}s to reach {flow.target}."
            ),
            metric="ReplicationLatency",
            dimensions=dimensions,
            statistic="Maximum",
            threshold=REPLICATION_LATENCY_ALARM_MS,
            periods=SUSTAINED_PERIODS,
            missing="notBreaching",
            parent=replicator,
        )
        self._alarm(
            f"{prefix}-lag-alarm",
            target,
            name=f"{physical}-message-lag",
            description=f"{physical}: more than {MESSAGE_LAG_ALARM_RECORDS:.0f} records in {flow.source} not yet read.",
            metric="MessageLag",
            dimensions=dimensions,
            statistic="Sum",
            threshold=MESSAGE_LAG_ALARM_RECORDS,
            periods=SUSTAINED_PERIODS,
            missing="notBreaching",
            parent=replicator,
        )
        self._alarm(
            f"{prefix}-failure-alarm",
            target,
            name=f"{physical}-failure",
            description=f"{physical}: the replicator reports failures; replication into {flow.target} may stop.",
            metric="ReplicatorFailure",
            dimensions=dimensions,
            statistic="Maximum",
            threshold=0.0,
            periods=1,
            missing="notBreaching",
            parent=replicator,
        )

    # -- shared ------------------------------------------------------------------------------
    def _alarm(
        self,
        resource_name: str,
        cell: MskCellArgs,
        *,
        name: str,
        description: str,
        metric: str,
        dimensions: dict[str, str],
        statistic: str,
        threshold: float,
        periods: int,
        missing: str,
        parent: pulumi.Resource,
    ) -> aws.cloudwatch.MetricAlarm:
        """An AWS/Kafka alarm of `cell`'s region to the cell's alert topic (alarm and recovery)."""
        return aws.cloudwatch.MetricAlarm(
            resource_name,
            name=name,
            alarm_description=description,
            namespace="AWS/Kafka",
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            period=ALARM_PERIOD_SECONDS,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator="GreaterThanThreshold",
            threshold=threshold,
            treat_missing_data=missing,
            alarm_actions=[cell.alert_topic_arn],
            ok_actions=[cell.alert_topic_arn],
            region=cell.region,
            tags=cell_tags(cell.region),
            opts=pulumi.ResourceOptions(parent=parent),
        )


def _topic_configs(topic: KafkaTopic, min_insync_replicas: int) -> dict[str, str]:
    """Per-topic overrides: retention from config, and min ISR pinned on the topic itself."""
    return {
        "cleanup.policy": "delete",
        "min.insync.replicas": str(min_insync_replicas),
        "retention.ms": str(topic.retention_hours * 3_600_000),
    }
