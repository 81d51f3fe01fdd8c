"""EKS and CodeBuild in the emulator: clusters, node groups, access entries (add-ons are recorded only), projects."""

from __future__ import annotations

from typing import Any

from finstack.emulator.handlers import REGISTRY, HandlerContext, physical_name

EKS = "eks"


def _delete_cluster(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(EKS).delete_cluster(name=resource_id)


@REGISTRY.register("aws:eks/cluster:Cluster", EKS, _delete_cluster)
def create_cluster(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """EKS cluster; the emulator reports the endpoint, CA and OIDC issuer moto assigns."""
    vpc = inputs.get("vpcConfig") or {}
    kwargs: dict[str, Any] = {
        "name": physical_name(name, inputs),
        "roleArn": inputs["roleArn"],
        "resourcesVpcConfig": {
            "subnetIds": list(vpc.get("subnetIds") or []),
            "securityGroupIds": list(vpc.get("securityGroupIds") or []),
            "endpointPublicAccess": bool(vpc.get("endpointPublicAccess", False)),
            "endpointPrivateAccess": bool(vpc.get("endpointPrivateAccess", True)),
            "publicAccessCidrs": list(vpc.get("publicAccessCidrs") or []) or ["0.0.0.0/0"],
        },
        "tags": inputs.get("tags") or {},
    }
    if inputs.get("version"):
        kwargs["version"] = inputs["version"]
    encryption = inputs.get("encryptionConfig")
    if encryption:
        # pulumi-aws 7 declares one encryption config object; the API takes a list.
        configs = encryption if isinstance(encryption, list) else [encryption]
        kwargs["encryptionConfig"] = [
            {
                "resources": list(c.get("resources") or []),
                "provider": {"keyArn": (c.get("provider") or {}).get("keyArn", "")},
            }
            for c in configs
        ]
    if inputs.get("enabledClusterLogTypes"):
        kwargs["logging"] = {"clusterLogging": [{"types": list(inputs["enabledClusterLogTypes"]), "enabled": True}]}
    cluster = ctx.client(EKS).create_cluster(**kwargs)["cluster"]
    outputs = {
        "arn": cluster["arn"],
        "endpoint": cluster.get("endpoint", ""),
        "status": "ACTIVE",
        "certificateAuthority": {"data": (cluster.get("certificateAuthority") or {}).get("data", "")},
        "identities": [{"oidcs": [{"issuer": ((cluster.get("identity") or {}).get("oidc") or {}).get("issuer", "")}]}],
        "platformVersion": cluster.get("platformVersion", ""),
    }
    return cluster["name"], outputs


def _delete_nodegroup(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    cluster, nodegroup = resource_id.split(":", 1)
    ctx.client(EKS).delete_nodegroup(clusterName=cluster, nodegroupName=nodegroup)


@REGISTRY.register("aws:eks/nodeGroup:NodeGroup", EKS, _delete_nodegroup)
def create_nodegroup(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Managed node group with its scaling config (the drills scale it)."""
    scaling = inputs.get("scalingConfig") or {}
    kwargs: dict[str, Any] = {
        "clusterName": inputs["clusterName"],
        "nodegroupName": physical_name(name, inputs, "nodeGroupName"),
        "nodeRole": inputs["nodeRoleArn"],
        "subnets": list(inputs.get("subnetIds") or []),
        "scalingConfig": {
            "minSize": int(scaling.get("minSize", 1)),
            "maxSize": int(scaling.get("maxSize", 1)),
            "desiredSize": int(scaling.get("desiredSize", 1)),
        },
        "tags": inputs.get("tags") or {},
    }
    if inputs.get("instanceTypes"):
        kwargs["instanceTypes"] = list(inputs["instanceTypes"])
    template = inputs.get("launchTemplate") or {}
    if template.get("id") or template.get("name"):
        spec = {"id": template["id"]} if template.get("id") else {"name": template["name"]}
        if template.get("version"):
            spec["version"] = str(template["version"])
        kwargs["launchTemplate"] = spec
    nodegroup = ctx.client(EKS).create_nodegroup(**kwargs)["nodegroup"]
    resource_id = f"{inputs['clusterName']}:{nodegroup['nodegroupName']}"
    return resource_id, {
        "arn": nodegroup["nodegroupArn"],
        "nodeGroupName": nodegroup["nodegroupName"],
        "status": "ACTIVE",
    }


CODEBUILD = "codebuild"


def _delete_project(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    ctx.client(CODEBUILD).delete_project(name=resource_id)


@REGISTRY.register("aws:codebuild/project:Project", CODEBUILD, _delete_project)
def create_project(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """CodeBuild project with its source, environment, VPC placement and logs (the in-cluster runner)."""
    source = inputs.get("source") or {}
    environment = inputs.get("environment") or {}
    vpc = inputs.get("vpcConfig") or {}
    logs = (inputs.get("logsConfig") or {}).get("cloudwatchLogs") or {}
    kwargs: dict[str, Any] = {
        "name": physical_name(name, inputs),
        "source": {
            k: v
            for k, v in {
                "type": source.get("type"),
                "location": source.get("location"),
                "buildspec": source.get("buildspec"),
            }.items()
            if v
        },
        "artifacts": {"type": (inputs.get("artifacts") or {}).get("type", "NO_ARTIFACTS")},
        "environment": {
            "type": environment.get("type", "LINUX_CONTAINER"),
            "image": environment.get("image", ""),
            "computeType": environment.get("computeType", "BUILD_GENERAL1_SMALL"),
            "environmentVariables": [
                {"name": v["name"], "value": str(v.get("value", "")), "type": v.get("type", "PLAINTEXT")}
                for v in environment.get("environmentVariables") or []
            ],
        },
        "serviceRole": inputs["serviceRole"],
        "tags": [{"key": str(k), "value": str(v)} for k, v in (inputs.get("tags") or {}).items()],
    }
    if vpc.get("vpcId"):
        kwargs["vpcConfig"] = {
            "vpcId": vpc["vpcId"],
            "subnets": list(vpc.get("subnets") or []),
            "securityGroupIds": list(vpc.get("securityGroupIds") or []),
        }
    if logs.get("groupName"):
        kwargs["logsConfig"] = {
            "cloudWatchLogs": {"status": logs.get("status", "ENABLED"), "groupName": logs["groupName"]}
        }
    if inputs.get("buildTimeout"):
        kwargs["timeoutInMinutes"] = int(inputs["buildTimeout"])
    project = ctx.client(CODEBUILD).create_project(**kwargs)["project"]
    return project["name"], {"arn": project["arn"], "name": project["name"]}


def _delete_access_entry(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    cluster, principal = resource_id.split(":", 1)
    ctx.client(EKS).delete_access_entry(clusterName=cluster, principalArn=principal)


@REGISTRY.register("aws:eks/accessEntry:AccessEntry", EKS, _delete_access_entry)
def create_access_entry(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An IAM principal's access entry (the emulated API server authenticates by it)."""
    kwargs: dict[str, Any] = {
        "clusterName": inputs["clusterName"],
        "principalArn": inputs["principalArn"],
        "type": inputs.get("type") or "STANDARD",
    }
    if inputs.get("kubernetesGroups"):
        kwargs["kubernetesGroups"] = list(inputs["kubernetesGroups"])
    entry = ctx.client(EKS).create_access_entry(**kwargs)["accessEntry"]
    # The provider's id is "<cluster>:<principal ARN>" (resource aws_eks_access_entry).
    return f"{entry['clusterName']}:{entry['principalArn']}", {"accessEntryArn": entry["accessEntryArn"]}


def _delete_access_policy(ctx: HandlerContext, resource_id: str, outputs: dict[str, Any]) -> None:
    cluster, principal, policy = resource_id.split("#", 2)
    ctx.client(EKS).disassociate_access_policy(clusterName=cluster, principalArn=principal, policyArn=policy)


@REGISTRY.register("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", EKS, _delete_access_policy)
def associate_access_policy(ctx: HandlerContext, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An access policy on an access entry, with its scope (cluster, or namespaces)."""
    scope = inputs.get("accessScope") or {"type": "cluster"}
    ctx.client(EKS).associate_access_policy(
        clusterName=inputs["clusterName"],
        principalArn=inputs["principalArn"],
        policyArn=inputs["policyArn"],
        accessScope={k: v for k, v in scope.items() if v},
    )
    return f"{inputs['clusterName']}#{inputs['principalArn']}#{inputs['policyArn']}", {}
