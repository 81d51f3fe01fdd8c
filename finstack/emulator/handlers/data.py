"""Aurora (global cluster, members, instances, subnet and parameter groups) and S3 in the emulator."""

from __future__ import annotations

import json
from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list

RDS = "rds"


def _delete_global(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    # Members have left by now (deploy.destroy); moto has no ModifyGlobalCluster and does not
    # enforce deletion protection on global clusters, so the emulated teardown deletes directly.
    ctx.client(RDS).delete_global_cluster(GlobalClusterIdentifier=resource_id)


@REGISTRY.register("aws:rds/globalCluster:GlobalCluster", RDS, _delete_global)
def create_global_cluster(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Aurora Global Database shell the regional clusters join."""
    identifier = physical_name(name, inputs, "globalClusterIdentifier")
    kwargs: dict[str, Any] = {
        "GlobalClusterIdentifier": identifier,
        "Engine": inputs.get("engine", "aurora-postgresql"),
        "StorageEncrypted": bool(inputs.get("storageEncrypted", False)),
        "DeletionProtection": bool(inputs.get("deletionProtection", False)),
    }
    if inputs.get("engineVersion"):
        kwargs["EngineVersion"] = inputs["engineVersion"]
    if inputs.get("databaseName"):
        kwargs["DatabaseName"] = inputs["databaseName"]
    cluster = ctx.client(RDS).create_global_cluster(**kwargs)["GlobalCluster"]
    return identifier, {
        "arn": cluster["GlobalClusterArn"],
        "globalClusterResourceId": cluster.get("GlobalClusterResourceId", ""),
    }


def _delete_cluster(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    # Members have already left their global cluster (deploy.destroy detaches secondaries
    # first, then the writer: AWS refuses to remove a writer that still has secondaries).
    rds = ctx.client(RDS)
    described = rds.describe_db_clusters(DBClusterIdentifier=resource_id)["DBClusters"][0]
    if described.get("DeletionProtection"):
        rds.modify_db_cluster(DBClusterIdentifier=resource_id, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_cluster(DBClusterIdentifier=resource_id, SkipFinalSnapshot=True)


_CLUSTER_KEYS = {
    "engine": "Engine",
    "engineVersion": "EngineVersion",
    "databaseName": "DatabaseName",
    "masterUsername": "MasterUsername",
    "dbSubnetGroupName": "DBSubnetGroupName",
    "dbClusterParameterGroupName": "DBClusterParameterGroupName",
    "kmsKeyId": "KmsKeyId",
    "backupRetentionPeriod": "BackupRetentionPeriod",
    "preferredBackupWindow": "PreferredBackupWindow",
    "preferredMaintenanceWindow": "PreferredMaintenanceWindow",
    "globalClusterIdentifier": "GlobalClusterIdentifier",
    "masterUserSecretKmsKeyId": "MasterUserSecretKmsKeyId",
    "port": "Port",
}
_CLUSTER_FLAGS = {
    "storageEncrypted": "StorageEncrypted",
    "deletionProtection": "DeletionProtection",
    "iamDatabaseAuthenticationEnabled": "EnableIAMDatabaseAuthentication",
    "copyTagsToSnapshot": "CopyTagsToSnapshot",
    "manageMasterUserPassword": "ManageMasterUserPassword",
    "enableGlobalWriteForwarding": "EnableGlobalWriteForwarding",
    # The provider passes it to CreateDBCluster (resourceClusterCreate) and calls
    # EnableHttpEndpoint only when it changes later.
    "enableHttpEndpoint": "EnableHttpEndpoint",
}


@REGISTRY.register("aws:rds/cluster:Cluster", RDS, _delete_cluster)
def create_cluster(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Regional Aurora cluster, joined to its global cluster when it names one."""
    identifier = physical_name(name, inputs, "clusterIdentifier")
    kwargs: dict[str, Any] = {"DBClusterIdentifier": identifier}
    for key, aws in _CLUSTER_KEYS.items():
        if inputs.get(key) not in (None, ""):
            kwargs[aws] = inputs[key]
    for key, aws in _CLUSTER_FLAGS.items():
        if key in inputs:
            kwargs[aws] = bool(inputs[key])
    if inputs.get("vpcSecurityGroupIds"):
        kwargs["VpcSecurityGroupIds"] = list(inputs["vpcSecurityGroupIds"])
    if inputs.get("enabledCloudwatchLogsExports"):
        kwargs["EnableCloudwatchLogsExports"] = list(inputs["enabledCloudwatchLogsExports"])
    cluster = ctx.client(RDS).create_db_cluster(**kwargs, Tags=tag_list(inputs))["DBCluster"]
    outputs: dict[str, Any] = {
        "arn": cluster["DBClusterArn"],
        "endpoint": cluster.get("Endpoint", ""),
        "readerEndpoint": cluster.get("ReaderEndpoint", ""),
        "clusterResourceId": cluster.get("DbClusterResourceId", ""),
        "port": cluster.get("Port", 5432),
        "hostedZoneId": cluster.get("HostedZoneId", ""),
    }
    secret = cluster.get("MasterUserSecret")
    if secret:
        outputs["masterUserSecrets"] = [
            {
                "secretArn": secret["SecretArn"],
                "secretStatus": secret.get("SecretStatus", ""),
                "kmsKeyId": secret.get("KmsKeyId", ""),
            }
        ]
    return identifier, outputs


def _delete_instance(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(RDS).delete_db_instance(DBInstanceIdentifier=resource_id, SkipFinalSnapshot=True)


@REGISTRY.register("aws:rds/clusterInstance:ClusterInstance", RDS, _delete_instance)
def create_instance(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Aurora instance in its cluster."""
    identifier = physical_name(name, inputs, "identifier")
    kwargs: dict[str, Any] = {
        "DBInstanceIdentifier": identifier,
        "DBClusterIdentifier": inputs["clusterIdentifier"],
        "DBInstanceClass": inputs.get("instanceClass", "db.r7g.large"),
        "Engine": inputs.get("engine", "aurora-postgresql"),
        "PubliclyAccessible": bool(inputs.get("publiclyAccessible", False)),
    }
    for key, aws in (
        ("availabilityZone", "AvailabilityZone"),
        ("dbSubnetGroupName", "DBSubnetGroupName"),
        ("promotionTier", "PromotionTier"),
        ("monitoringRoleArn", "MonitoringRoleArn"),
        ("monitoringInterval", "MonitoringInterval"),
        ("performanceInsightsKmsKeyId", "PerformanceInsightsKMSKeyId"),
    ):
        if inputs.get(key) not in (None, ""):
            kwargs[aws] = inputs[key]
    if "autoMinorVersionUpgrade" in inputs:
        kwargs["AutoMinorVersionUpgrade"] = bool(inputs["autoMinorVersionUpgrade"])
    if "performanceInsightsEnabled" in inputs:
        kwargs["EnablePerformanceInsights"] = bool(inputs["performanceInsightsEnabled"])
    instance = ctx.client(RDS).create_db_instance(**kwargs, Tags=tag_list(inputs))["DBInstance"]
    endpoint = instance.get("Endpoint") or {}
    return identifier, {
        "arn": instance["DBInstanceArn"],
        "endpoint": endpoint.get("Address", ""),
        "port": endpoint.get("Port", 5432),
    }


def _delete_subnet_group(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(RDS).delete_db_subnet_group(DBSubnetGroupName=resource_id)


@REGISTRY.register("aws:rds/subnetGroup:SubnetGroup", RDS, _delete_subnet_group)
def create_subnet_group(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """DB subnet group on the data tier."""
    group_name = physical_name(name, inputs)
    group = ctx.client(RDS).create_db_subnet_group(
        DBSubnetGroupName=group_name,
        DBSubnetGroupDescription=inputs.get("description") or "Managed by Pulumi",
        SubnetIds=list(inputs["subnetIds"]),
        Tags=tag_list(inputs),
    )["DBSubnetGroup"]
    return group_name, {"arn": group["DBSubnetGroupArn"], "name": group_name}


def _delete_cluster_pg(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(RDS).delete_db_cluster_parameter_group(DBClusterParameterGroupName=resource_id)


@REGISTRY.register("aws:rds/clusterParameterGroup:ClusterParameterGroup", RDS, _delete_cluster_pg)
def create_cluster_pg(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Cluster parameter group with its parameters (rds.force_ssl among them)."""
    rds = ctx.client(RDS)
    group_name = physical_name(name, inputs)
    group = rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group_name,
        DBParameterGroupFamily=inputs["family"],
        Description=inputs.get("description") or "Managed by Pulumi",
        Tags=tag_list(inputs),
    )["DBClusterParameterGroup"]
    parameters = [
        {
            "ParameterName": p["name"],
            "ParameterValue": str(p["value"]),
            "ApplyMethod": p.get("applyMethod", "pending-reboot"),
        }
        for p in inputs.get("parameters") or []
    ]
    if parameters:
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group_name, Parameters=parameters)
    return group_name, {"arn": group["DBClusterParameterGroupArn"], "name": group_name}


def _delete_bucket(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    s3 = ctx.client("s3")
    for version in s3.list_object_versions(Bucket=resource_id).get("Versions", []):
        s3.delete_object(Bucket=resource_id, Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=resource_id)


@REGISTRY.register("aws:s3/bucket:Bucket", "s3", _delete_bucket)
def create_bucket(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Bucket in its region."""
    bucket = physical_name(name, inputs, "bucket").lower()
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if inputs.get("objectLockEnabled"):
        # Only at creation (S3 User Guide, "Configuring S3 Object Lock"); the retention is a separate call.
        kwargs["ObjectLockEnabledForBucket"] = True
    if ctx.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    s3 = ctx.client("s3")
    s3.create_bucket(**kwargs)
    if inputs.get("tags"):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(inputs)})
    return bucket, {
        "arn": f"arn:aws:s3:::{bucket}",
        "bucket": bucket,
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{ctx.region}.amazonaws.com",
    }


@REGISTRY.register("aws:s3/bucketVersioning:BucketVersioning", "s3")
def put_versioning(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Versioning on the bucket."""
    status = (inputs.get("versioningConfiguration") or {}).get("status", "Enabled")
    ctx.client("s3").put_bucket_versioning(Bucket=inputs["bucket"], VersioningConfiguration={"Status": status})
    return inputs["bucket"], {}


@REGISTRY.register("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "s3")
def put_encryption(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Default SSE-KMS on the bucket."""
    rules = []
    for rule in inputs.get("rules") or []:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        entry: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": default.get("sseAlgorithm", "aws:kms")}
        }
        if default.get("kmsMasterKeyId"):
            entry["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] = default["kmsMasterKeyId"]
        if "bucketKeyEnabled" in rule:
            entry["BucketKeyEnabled"] = bool(rule["bucketKeyEnabled"])
        rules.append(entry)
    ctx.client("s3").put_bucket_encryption(Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})
    return inputs["bucket"], {}


@REGISTRY.register("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "s3")
def put_public_access_block(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Public access block on the bucket."""
    keys = {
        "blockPublicAcls": "BlockPublicAcls",
        "blockPublicPolicy": "BlockPublicPolicy",
        "ignorePublicAcls": "IgnorePublicAcls",
        "restrictPublicBuckets": "RestrictPublicBuckets",
    }
    ctx.client("s3").put_public_access_block(
        Bucket=inputs["bucket"],
        PublicAccessBlockConfiguration={aws: bool(inputs.get(key, False)) for key, aws in keys.items()},
    )
    return inputs["bucket"], {}


@REGISTRY.register("aws:s3/bucketPolicy:BucketPolicy", "s3")
def put_bucket_policy(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Bucket policy (e.g. TLS only)."""
    policy = inputs["policy"]
    ctx.client("s3").put_bucket_policy(
        Bucket=inputs["bucket"], Policy=policy if isinstance(policy, str) else json.dumps(policy)
    )
    return inputs["bucket"], {}


@REGISTRY.register("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "s3")
def put_ownership(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Object ownership (BucketOwnerEnforced disables ACLs)."""
    rule = inputs.get("rule") or {}
    ctx.client("s3").put_bucket_ownership_controls(
        Bucket=inputs["bucket"],
        OwnershipControls={"Rules": [{"ObjectOwnership": rule.get("objectOwnership", "BucketOwnerEnforced")}]},
    )
    return inputs["bucket"], {}


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"ID": rule.get("id", "rule"), "Status": rule.get("status", "Enabled")}
    entry["Filter"] = {"Prefix": (rule.get("filter") or {}).get("prefix", "")}
    if rule.get("expiration"):
        entry["Expiration"] = {"Days": int(rule["expiration"]["days"])}
    if rule.get("transitions"):
        entry["Transitions"] = [
            {"Days": int(t["days"]), "StorageClass": t["storageClass"]} for t in rule["transitions"]
        ]
    if rule.get("noncurrentVersionTransitions"):
        entry["NoncurrentVersionTransitions"] = [
            {"NoncurrentDays": int(t["noncurrentDays"]), "StorageClass": t["storageClass"]}
            for t in rule["noncurrentVersionTransitions"]
        ]
    if rule.get("noncurrentVersionExpiration"):
        entry["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["noncurrentVersionExpiration"]["noncurrentDays"])
        }
    if rule.get("abortIncompleteMultipartUpload"):
        days = int(rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"])
        entry["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return entry


@REGISTRY.register("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "s3")
def put_lifecycle(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Lifecycle rules (transitions, expiry) on the bucket."""
    rules = [_lifecycle_rule(rule) for rule in inputs.get("rules") or []]
    ctx.client("s3").put_bucket_lifecycle_configuration(
        Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
    )
    return inputs["bucket"], {}


@REGISTRY.register("aws:s3/bucketNotification:BucketNotification", "s3")
def put_notifications(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Event notifications of the bucket: the stack turns on EventBridge delivery (an empty EventBridgeConfiguration).

    Topic, queue and Lambda destinations are not declared by the stack and are refused here rather than dropped.
    """
    unsupported = [key for key in ("topics", "queues", "lambdaFunctions") if inputs.get(key)]
    if unsupported:
        raise ValueError(f"{name}: bucket notification destinations {unsupported} are not emulated")
    configuration: dict[str, Any] = {"EventBridgeConfiguration": {}} if inputs.get("eventbridge") else {}
    ctx.client("s3").put_bucket_notification_configuration(
        Bucket=inputs["bucket"], NotificationConfiguration=configuration
    )
    return inputs["bucket"], {}


@REGISTRY.register("aws:s3/bucketLogging:BucketLogging", "s3")
def put_bucket_logging(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Server access logging of the bucket into its target (moto checks the target exists, as S3 does)."""
    ctx.client("s3").put_bucket_logging(
        Bucket=inputs["bucket"],
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": inputs["targetBucket"], "TargetPrefix": inputs.get("targetPrefix", "")}
        },
    )
    return inputs["bucket"], {}
