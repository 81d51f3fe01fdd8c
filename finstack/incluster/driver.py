"""Hand a bundle to a cell's runner and follow its build: the only in-cluster code that touches boto3.

Real mode and the emulator run this same code; in the emulator, finstack's CodeBuild extension
plays the build (`finstack.emulator.moto_ext.incluster_runner`).

Permissions the operator running `finstack up` needs for it (on top of `pulumi up`'s):

=========================  ==================================================  =======================
call                       resource                                            why
=========================  ==================================================  =======================
s3:PutObject               <bundle bucket>/bundle.zip                          upload the bundle
kms:GenerateDataKey        the cell's `logs` key (via s3)                      SSE-KMS on the upload
codebuild:StartBuild       the cell's runner project                           start the apply
codebuild:BatchGetBuilds   the cell's runner project                           follow it
logs:GetLogEvents          the runner's log group                              show why a build failed
=========================  ==================================================  =======================
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from finstack.incluster.bundle import Bundle

# Terminal CodeBuild build statuses (botocore codebuild model, StatusType).
_DONE = frozenset({"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"})
LOG_TAIL_LINES = 20


@runtime_checkable
class Gateway(Protocol):
    """boto3 clients by service and region (`finstack.emulator.gateway.AwsGateway`)."""

    def client(self, service: str, region: str) -> Any:
        """A client for `service` in `region`."""


@dataclass(frozen=True)
class RunnerCell:
    """One cell's entry of the `inCluster` stack output."""

    region: str
    manifest_dir: str
    project_name: str
    bundle_bucket: str
    bundle_key: str
    bundle_kms_key_arn: str
    log_group_name: str

    @classmethod
    def from_output(cls, region: str, doc: Mapping[str, Any]) -> RunnerCell:
        """Parse `inCluster.<region>`."""
        return cls(
            region=region,
            manifest_dir=str(doc["manifestDir"]),
            project_name=str(doc["projectName"]),
            bundle_bucket=str(doc["bundleBucket"]),
            bundle_key=str(doc["bundleKey"]),
            bundle_kms_key_arn=str(doc["bundleKmsKeyArn"]),
            log_group_name=str(doc["logGroupName"]),
        )


@dataclass(frozen=True)
class RunnerOutcome:
    """How one cell's apply ended."""

    region: str
    build_id: str
    status: str
    objects: int
    log_tail: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        """True when the runner applied the whole bundle."""
        return self.status == "SUCCEEDED"


class RunnerTimeoutError(Exception):
    """The build did not finish in time; it may still be running (its id says where to look)."""


def deliver(
    gateway: Gateway,
    cell: RunnerCell,
    bundle: Bundle,
    *,
    timeout_seconds: float = 1800.0,
    poll_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RunnerOutcome:
    """Upload the bundle, start the runner on exactly that object version, wait for the build."""
    s3 = gateway.client("s3", cell.region)
    upload = s3.put_object(
        Bucket=cell.bundle_bucket,
        Key=cell.bundle_key,
        Body=bundle.zip_bytes(),
        # The bucket policy refuses objects under any other key (private_bucket_policy).
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=cell.bundle_kms_key_arn,
    )
    codebuild = gateway.client("codebuild", cell.region)
    start: dict[str, Any] = {"projectName": cell.project_name}
    if upload.get("VersionId"):
        # The build reads this version even if another upload lands meanwhile.
        start["sourceVersion"] = upload["VersionId"]
    build = codebuild.start_build(**start)["build"]
    deadline = clock() + timeout_seconds
    while build.get("buildStatus") not in _DONE:
        if clock() > deadline:
            raise RunnerTimeoutError(f"{cell.region}: build {build['id']} still {build.get('buildStatus')}")
        sleep(poll_seconds)
        build = codebuild.batch_get_builds(ids=[build["id"]])["builds"][0]
    status = str(build["buildStatus"])
    tail: tuple[str, ...] = ()
    if status != "SUCCEEDED":
        tail = _log_tail(gateway, cell, build)
    return RunnerOutcome(cell.region, str(build["id"]), status, len(bundle.objects), tail)


def _log_tail(gateway: Gateway, cell: RunnerCell, build: Mapping[str, Any]) -> tuple[str, ...]:
    logs = build.get("logs") or {}
    group, stream = logs.get("groupName") or cell.log_group_name, logs.get("streamName")
    if not stream:
        return ()
    events = gateway.client("logs", cell.region).get_log_events(
        logGroupName=group, logStreamName=stream, limit=LOG_TAIL_LINES, startFromHead=False
    )["events"]
    return tuple(str(e["message"]) for e in events)


def cells_of(outputs: Mapping[str, Any]) -> list[RunnerCell]:
    """The runner of every cell, from the stack outputs (`inCluster`), in region order."""
    doc = outputs.get("inCluster") or {}
    return [RunnerCell.from_output(region, doc[region]) for region in sorted(doc)]
