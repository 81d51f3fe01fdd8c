"""KMS keys (multi-region primaries, replicas, aliases) and Secrets Manager in the emulator."""

from __future__ import annotations

from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name, tag_list, unwrap_secret

KMS = "kms"


def _schedule_deletion(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    window = int(outputs.get("deletionWindowInDays") or 30)
    ctx.client(KMS).schedule_key_deletion(KeyId=resource_id, PendingWindowInDays=window)


def _key_outputs(metadata: dict[str, Any]) -> dict[str, Any]:
    return {"arn": metadata["Arn"], "keyId": metadata["KeyId"]}


@REGISTRY.register("aws:kms/key:Key", KMS, _schedule_deletion)
def create_key(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Customer managed key, multi-region when asked, with rotation."""
    kms = ctx.client(KMS)
    kwargs: dict[str, Any] = {
        "Description": inputs.get("description", name),
        "KeyUsage": inputs.get("keyUsage", "ENCRYPT_DECRYPT"),
        "KeySpec": inputs.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
        "MultiRegion": bool(inputs.get("multiRegion", False)),
        "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tag_list(inputs)],
    }
    if inputs.get("policy"):
        kwargs["Policy"] = inputs["policy"]
    metadata = kms.create_key(**kwargs)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return metadata["KeyId"], _key_outputs(metadata)


@REGISTRY.register("aws:kms/replicaKey:ReplicaKey", KMS, _schedule_deletion)
def create_replica(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Replica of a multi-region primary, created from the primary's region."""
    primary_arn = inputs["primaryKeyArn"]
    primary_region = primary_arn.split(":")[3]
    kwargs: dict[str, Any] = {"KeyId": primary_arn.rsplit("/", 1)[1], "ReplicaRegion": ctx.region}
    if inputs.get("policy"):
        kwargs["Policy"] = inputs["policy"]
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    metadata = ctx.client(KMS, primary_region).replicate_key(**kwargs)["ReplicaKeyMetadata"]
    return metadata["KeyId"], _key_outputs(metadata)


def _delete_alias(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(KMS).delete_alias(AliasName=resource_id)


@REGISTRY.register("aws:kms/alias:Alias", KMS, _delete_alias)
def create_alias(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Alias pointing at a key of this region."""
    alias = physical_name(name, inputs)
    ctx.client(KMS).create_alias(AliasName=alias, TargetKeyId=inputs["targetKeyId"])
    return alias, {"arn": f"arn:aws:kms:{ctx.region}:{ctx.account_id}:{alias}", "targetKeyArn": inputs["targetKeyId"]}


def _delete_secret(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    secrets = ctx.client("secretsmanager")
    # AWS refuses to delete a primary that still has replicas: remove them first, as the provider does.
    regions = [r["Region"] for r in secrets.describe_secret(SecretId=resource_id).get("ReplicationStatus", [])]
    if regions:
        secrets.remove_regions_from_replication(SecretId=resource_id, RemoveReplicaRegions=regions)
    secrets.delete_secret(SecretId=resource_id, ForceDeleteWithoutRecovery=True)


@REGISTRY.register("aws:secretsmanager/secret:Secret", "secretsmanager", _delete_secret)
def create_secret(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Secret container (values are never passed through finstack)."""
    kwargs: dict[str, Any] = {"Name": physical_name(name, inputs), "Tags": tag_list(inputs)}
    if inputs.get("kmsKeyId"):
        kwargs["KmsKeyId"] = inputs["kmsKeyId"]
    if inputs.get("description"):
        kwargs["Description"] = inputs["description"]
    if inputs.get("replicas"):
        # The provider sends its `replica` blocks as CreateSecret's AddReplicaRegions.
        kwargs["AddReplicaRegions"] = [
            {"Region": r["region"], **({"KmsKeyId": r["kmsKeyId"]} if r.get("kmsKeyId") else {})}
            for r in inputs["replicas"]
        ]
    secret = ctx.client("secretsmanager").create_secret(**kwargs)
    return secret["ARN"], {"arn": secret["ARN"], "name": secret["Name"]}


@REGISTRY.register("aws:secretsmanager/secretVersion:SecretVersion", "secretsmanager")
def put_secret_value(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A secret's value; deleted with its secret."""
    value = unwrap_secret(inputs.get("secretString", ""))
    version = ctx.client("secretsmanager").put_secret_value(SecretId=inputs["secretId"], SecretString=str(value))
    return f"{inputs['secretId']}|{version['VersionId']}", {"versionId": version["VersionId"], "arn": version["ARN"]}
