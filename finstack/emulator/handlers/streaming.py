"""MSK in the emulator: clusters, cluster policies and (through our moto extension) replicators."""

from __future__ import annotations

import json
from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name

KAFKA = "kafka"


def _delete_cluster(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(KAFKA).delete_cluster(ClusterArn=resource_id)


@REGISTRY.register("aws:msk/cluster:Cluster", KAFKA, _delete_cluster)
def create_cluster(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Provisioned MSK cluster with its encryption and client authentication."""
    broker = inputs.get("brokerNodeGroupInfo") or {}
    storage = ((broker.get("storageInfo") or {}).get("ebsStorageInfo") or {}).get("volumeSize", 100)
    encryption = inputs.get("encryptionInfo") or {}
    transit = encryption.get("encryptionInTransit") or {}
    auth = inputs.get("clientAuthentication") or {}
    kwargs: dict[str, Any] = {
        "ClusterName": physical_name(name, inputs, "clusterName"),
        "KafkaVersion": inputs.get("kafkaVersion", "3.8.x"),
        "NumberOfBrokerNodes": int(inputs.get("numberOfBrokerNodes", 3)),
        "BrokerNodeGroupInfo": {
            "InstanceType": broker.get("instanceType", "kafka.m7g.large"),
            "ClientSubnets": list(broker.get("clientSubnets") or []),
            "SecurityGroups": list(broker.get("securityGroups") or []),
            "StorageInfo": {"EbsStorageInfo": {"VolumeSize": int(storage)}},
        },
        "EncryptionInfo": {
            "EncryptionInTransit": {
                "ClientBroker": transit.get("clientBroker", "TLS"),
                "InCluster": bool(transit.get("inCluster", True)),
            }
        },
        "ClientAuthentication": {
            "Sasl": {"Iam": {"Enabled": bool((auth.get("sasl") or {}).get("iam"))}},
            "Unauthenticated": {"Enabled": bool(auth.get("unauthenticated", False))},
        },
        "EnhancedMonitoring": inputs.get("enhancedMonitoring", "DEFAULT"),
        "Tags": inputs.get("tags") or {},
    }
    if encryption.get("encryptionAtRestKmsKeyArn"):
        kwargs["EncryptionInfo"]["EncryptionAtRest"] = {"DataVolumeKMSKeyId": encryption["encryptionAtRestKmsKeyArn"]}
    cluster = ctx.client(KAFKA).create_cluster(**kwargs)
    arn = cluster["ClusterArn"]
    return arn, {"arn": arn, "clusterName": cluster["ClusterName"], "clusterUuid": arn.rsplit("/", 1)[-1]}


def _delete_policy(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(KAFKA).delete_cluster_policy(ClusterArn=resource_id)


@REGISTRY.register("aws:msk/clusterPolicy:ClusterPolicy", KAFKA, _delete_policy)
def put_cluster_policy(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Resource policy letting the peer region's replicator read this cluster."""
    policy = inputs["policy"]
    ctx.client(KAFKA).put_cluster_policy(
        ClusterArn=inputs["clusterArn"], Policy=policy if isinstance(policy, str) else json.dumps(policy)
    )
    return inputs["clusterArn"], {}


def _delete_replicator(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(KAFKA).delete_replicator(ReplicatorArn=resource_id)


def _cap(value: Any) -> Any:
    """CamelCase Pulumi shapes -> the API's CamelCase, recursively (list-suffix `s` as the provider writes it)."""
    renames = {
        "topicsToReplicates": "TopicsToReplicate",
        "topicsToExcludes": "TopicsToExclude",
        "consumerGroupsToReplicates": "ConsumerGroupsToReplicate",
        "consumerGroupsToExcludes": "ConsumerGroupsToExclude",
        "securityGroupsIds": "SecurityGroupIds",
        "mskClusterArn": "MskClusterArn",
    }
    if isinstance(value, dict):
        return {renames.get(k, k[0].upper() + k[1:]): _cap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cap(v) for v in value]
    return value


@REGISTRY.register("aws:msk/replicator:Replicator", KAFKA, _delete_replicator)
def create_replicator(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """MSK Replicator (moto has none: served by finstack's moto extension)."""
    clusters = []
    for cluster in inputs.get("kafkaClusters") or []:
        vpc = cluster.get("vpcConfig") or {}
        clusters.append(
            {
                "AmazonMskCluster": {"MskClusterArn": (cluster.get("amazonMskCluster") or {}).get("mskClusterArn", "")},
                "VpcConfig": {
                    "SubnetIds": list(vpc.get("subnetIds") or []),
                    "SecurityGroupIds": list(vpc.get("securityGroupsIds") or []),
                },
            }
        )
    replication = []
    infos = inputs.get("replicationInfoList") or []
    # pulumi-aws 7 declares one replication info object; the API takes a list.
    for info in infos if isinstance(infos, list) else [infos]:
        entry: dict[str, Any] = {
            "SourceKafkaClusterArn": info.get("sourceKafkaClusterArn", ""),
            "TargetKafkaClusterArn": info.get("targetKafkaClusterArn", ""),
            "TargetCompressionType": info.get("targetCompressionType", "NONE"),
        }
        topics = (info.get("topicReplications") or [{}])[0]
        groups = (info.get("consumerGroupReplications") or [{}])[0]
        entry["TopicReplication"] = _cap(topics)
        entry["ConsumerGroupReplication"] = _cap(groups)
        replication.append(entry)
    replicator = ctx.client(KAFKA).create_replicator(
        ReplicatorName=physical_name(name, inputs, "replicatorName"),
        Description=inputs.get("description", ""),
        KafkaClusters=clusters,
        ReplicationInfoList=replication,
        ServiceExecutionRoleArn=inputs["serviceExecutionRoleArn"],
        Tags=inputs.get("tags") or {},
    )
    arn = replicator["ReplicatorArn"]
    return arn, {"arn": arn, "currentVersion": "1"}
