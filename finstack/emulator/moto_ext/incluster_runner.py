"""CodeBuild builds of finstack's in-cluster runner, played by the emulator, and the cluster they reach.

moto 5 records a StartBuild and reports every build SUCCEEDED without running anything. For a
project tagged `finstack:runner` (the cell's `ClusterRunner`) this extension runs what the real
build runs: it reads the uploaded bundle at the started version, checks that the project's network
placement can reach the cluster's API endpoint, applies the bundle with the runner's own applier
(`finstack.incluster.apply_bundle.run`) to an emulated API server held on moto's EKS cluster, and
writes the apply record back to the bucket. The build ends SUCCEEDED or FAILED with the reason in
its log stream, as the real one would. The build's role must hold an access entry with cluster admin
(`eks_access.cluster_admin_problem`), as the real API server requires.

Reachability follows https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html: a
private endpoint answers inside the cluster's VPC, from a security group its control plane's groups
admit on 443; a build without VPC config runs on CodeBuild's network and reaches public endpoints
only.
"""

from __future__ import annotations

import datetime
import json
import tempfile
from collections.abc import Iterable
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import yaml
from moto.codebuild.models import CodeBuildBackend
from moto.core.utils import iso_8601_datetime_with_milliseconds
from moto.ec2.models import ec2_backends
from moto.eks.models import eks_backends
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation
from finstack.emulator.moto_ext.eks_access import cluster_admin_problem
from finstack.incluster import apply_bundle
from finstack.incluster.apply_bundle import ApplyError, ObjectRef
from finstack.incluster.bundle import read_zip

RUNNER_TAG = "finstack:runner"
HTTPS = 443
_PHASES = ("SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD")


class EmulatedKube:
    """The objects of one emulated cluster's API server: `(group, kind, namespace, name)` -> manifest."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def apply(self, ref: ObjectRef, manifest_path: Path) -> None:
        """Server-side apply, as far as the runner needs: a namespaced object needs its namespace."""
        if ref.namespace and ("", "Namespace", "", ref.namespace) not in self.objects:
            raise ApplyError(f'namespaces "{ref.namespace}" not found')
        manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
        previous = self.objects.get(ref.key, {})
        self.objects[ref.key] = {**previous, **manifest} if ref.patch else manifest

    def delete(self, ref: ObjectRef) -> None:
        """Delete; a namespace takes its objects with it."""
        self.objects.pop(ref.key, None)
        if ref.kind == "Namespace":
            for key in [k for k in self.objects if k[2] == ref.name]:
                del self.objects[key]


def cluster_kube(account_id: str, region: str, cluster_name: str) -> EmulatedKube:
    """The emulated API server of an EKS cluster (lives and dies with moto's cluster)."""
    cluster = eks_backends[account_id][region].clusters[cluster_name]
    with EXTENSION_LOCK:
        kube = getattr(cluster, "_finstack_kube", None)
        if kube is None:
            kube = EmulatedKube()
            setattr(cluster, "_finstack_kube", kube)  # noqa: B010 - an attribute moto's model does not declare
        return kube


def _env(project: dict[str, Any]) -> dict[str, str]:
    variables = (project.get("environment") or {}).get("environmentVariables") or []
    return {v["name"]: v.get("value", "") for v in variables}


def _within(cidr: str, block: str) -> bool:
    inner, outer = ip_network(cidr, strict=False), ip_network(block, strict=False)
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _admits_https(group: Any, sources: set[str], cidrs: Iterable[str]) -> bool:
    """Whether security group `group` lets TCP 443 in from one of `sources` (group ids) or `cidrs`."""
    for rule in group.ingress_rules:  # moto keeps one rule per peer (SecurityGroupRule)
        protocol = str(rule.ip_protocol)
        if protocol not in ("-1", "tcp", "6"):
            continue
        if protocol != "-1" and not (int(rule.from_port) <= HTTPS <= int(rule.to_port)):
            continue
        if (rule.source_group or {}).get("GroupId") in sources:
            return True
        allowed = (rule.ip_range or {}).get("CidrIp")
        if allowed and cidrs and all(_within(c, allowed) for c in cidrs):
            return True
    return False


def reachability_problem(account_id: str, region: str, project: dict[str, Any], cluster_name: str) -> str | None:
    """Why the project's builds cannot reach the cluster's API endpoint, or None."""
    cluster = eks_backends[account_id][region].clusters.get(cluster_name)
    if cluster is None:
        return f"cluster {cluster_name} not found in {region}"
    config = cluster.resources_vpc_config
    endpoint = getattr(cluster, "endpoint", "") or f"https://{cluster_name}.eks.amazonaws.com"
    timeout = f'dial tcp: lookup of {endpoint}: i/o timeout (Get "{endpoint}/api")'
    vpc = project.get("vpcConfig") or {}
    if not vpc.get("vpcId"):
        if config.get("endpointPublicAccess", True):
            return None
        return f"{timeout}: the build runs outside any VPC and {cluster_name}'s endpoint is private-only"
    if not config.get("endpointPrivateAccess", False):
        return f"{timeout}: {cluster_name} has no private endpoint to reach from {vpc['vpcId']}"
    ec2 = ec2_backends[account_id][region]
    cluster_vpcs = {ec2.get_subnet(s).vpc_id for s in config.get("subnetIds") or []}
    if vpc["vpcId"] not in cluster_vpcs:
        return f"{timeout}: the build runs in {vpc['vpcId']}, {cluster_name} in {', '.join(sorted(cluster_vpcs))}"
    sources = set(vpc.get("securityGroupIds") or [])
    cidrs = [ec2.get_subnet(s).cidr_block for s in vpc.get("subnets") or []]
    groups = [ec2.get_security_group_from_id(g) for g in config.get("securityGroupIds") or []]
    if not any(g is not None and _admits_https(g, sources, cidrs) for g in groups):
        return (
            f"{timeout}: no security group of {cluster_name}'s control plane admits TCP 443 from the "
            f"build's groups {', '.join(sorted(sources)) or '(none)'}"
        )
    return None


def _log(account_id: str, region: str, group: str, stream: str, lines: list[str]) -> None:
    logs = logs_backends[account_id][region]
    if group not in logs.groups:
        return  # the real build fails to log too; its status still tells
    logs.create_log_stream(group, stream)
    now = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines])


def _play(backend: CodeBuildBackend, project_name: str, source_version: str | None) -> tuple[bool, list[str]]:
    """Run the build; (succeeded, log lines)."""
    project = backend.codebuild_projects[project_name].project_metadata
    account, region = backend.account_id, backend.region_name
    env = _env(project)
    lines = [f"[Container] running finstack's in-cluster apply for {env.get('CLUSTER_NAME', '?')}"]
    bucket, _, key = str((project.get("source") or {}).get("location", "")).partition("/")
    s3 = s3_backends[account]["aws"]
    bundle = s3.get_object(bucket, key, version_id=source_version)
    if bundle is None:
        return False, [*lines, f"CLIENT_ERROR: no matching artifact paths found: s3://{bucket}/{key}"]
    problem = reachability_problem(account, region, project, env.get("CLUSTER_NAME", "")) or cluster_admin_problem(
        account, region, env.get("CLUSTER_NAME", ""), project.get("serviceRole", "")
    )
    if problem is not None:
        return False, [*lines, problem if problem.startswith(("error", "Error")) else f"error: {problem}"]
    refs, manifests = read_zip(bundle.value)
    applied_key = env.get("APPLIED_KEY", "applied.json")
    record = s3.get_object(bucket, applied_key)
    previous = [ObjectRef(**o) for o in json.loads(record.value).get("objects", [])] if record else []
    kube = cluster_kube(account, region, env["CLUSTER_NAME"])
    with tempfile.TemporaryDirectory(prefix="finstack-runner-") as tmp:
        root = Path(tmp)
        for name, manifest in manifests.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(yaml.safe_dump(manifest), encoding="utf-8")
        try:
            result = apply_bundle.run(root, refs, previous, kube, emit=lines.append)
        except ApplyError as err:
            return False, [*lines, f"finstack runner: {err}"]
    s3.put_object(bucket, applied_key, apply_bundle.record(result).encode(), encryption="aws:kms")
    return True, [*lines, f"finstack runner: {len(result.applied)} applied, {len(result.pruned)} pruned"]


def _is_runner(backend: CodeBuildBackend, project_name: str) -> bool:
    tags = backend.codebuild_projects[project_name].tags or []
    return any(t.get("key") == RUNNER_TAG for t in tags)


def register(installation: Installation) -> None:
    """Play the runner's builds; leave every other project to moto."""
    original_start = CodeBuildBackend.start_build
    original_batch = CodeBuildBackend.batch_get_builds

    def start_build(
        self: CodeBuildBackend, project_name: str, source_version: str | None = None, artifact_override: Any = None
    ) -> dict[str, Any]:
        build = original_start(self, project_name, source_version, artifact_override)
        if not _is_runner(self, project_name):
            return build
        succeeded, lines = _play(self, project_name, source_version)
        stream = build["id"].split(":", 1)[1]
        group = (
            (self.codebuild_projects[project_name].project_metadata.get("logsConfig") or {}).get("cloudWatchLogs") or {}
        ).get("groupName", "")
        _log(self.account_id, self.region_name, group, stream, lines)
        now = iso_8601_datetime_with_milliseconds()
        status = "SUCCEEDED" if succeeded else "FAILED"
        for record in self.build_metadata_history[project_name]:
            if record["id"] == build["id"]:
                record.update(
                    buildStatus=status,
                    currentPhase="COMPLETED",
                    buildComplete=True,
                    endTime=now,
                    phases=[
                        {"phaseType": p, "phaseStatus": "SUCCEEDED", "startTime": now, "endTime": now}
                        for p in _PHASES[:-1]
                    ]
                    + [
                        {
                            "phaseType": _PHASES[-1] if succeeded else "BUILD",
                            "phaseStatus": status,
                            "startTime": now,
                            "endTime": now,
                        }
                    ],
                    logs={"groupName": group, "streamName": stream},
                    finstackRunner=True,
                )
        return build

    def batch_get_builds(self: CodeBuildBackend, ids: list[str]) -> list[dict[str, Any]]:
        ours = [
            b
            for history in self.build_metadata_history.values()
            for b in history
            if b["id"] in ids and b.get("finstackRunner")
        ]
        others = original_batch(self, [i for i in ids if i not in {b["id"] for b in ours}])
        return ours + others

    installation.patch(CodeBuildBackend, "start_build", start_build)
    installation.patch(CodeBuildBackend, "batch_get_builds", batch_get_builds)
