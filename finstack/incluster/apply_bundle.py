"""Apply a finstack bundle to the cluster the current kubeconfig names, and prune what it dropped.

Runs inside the cell's runner (CodeBuild, in the VPC), so it uses the standard library only:

    python3 apply_bundle.py --index index.json --previous previous.json --applied applied.json

`index.json` lists the bundle's objects with the file that holds each; `previous.json` is the
record the last successful run wrote (`{"objects": []}` on the first run). Objects are applied
with server-side apply in dependency order (namespaces, then other cluster-scoped objects, then
namespaced ones); objects of the previous record that the bundle no longer has are deleted, last,
never patches (a patch owns a field of an object someone else created). The record of this run is
written only when every apply succeeded.

The emulator runs the same `run()` with its own `KubeApi`, so the logic that decides what is
applied and pruned is the one that runs on AWS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

FIELD_MANAGER = "finstack-runner"
# Kinds whose objects live outside any namespace; the bundle's kinds must be listed here or namespaced.
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "PriorityClass",
        "CustomResourceDefinition",
        "IngressClass",
    }
)


@dataclass(frozen=True, order=True)
class ObjectRef:
    """One object of a bundle: what it is and which file of the bundle holds it."""

    api_version: str
    kind: str
    name: str
    namespace: str = ""
    file: str = ""
    patch: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity of the object in the cluster (the file does not matter)."""
        return (self.api_version.split("/")[0] if "/" in self.api_version else "", self.kind, self.namespace, self.name)

    def describe(self) -> str:
        """`Kind namespace/name` as kubectl prints it."""
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def apply_order(objects: Iterable[ObjectRef]) -> list[ObjectRef]:
    """Namespaces first, then other cluster-scoped objects, then namespaced ones; stable by identity."""

    def rank(ref: ObjectRef) -> tuple[int, tuple[str, str, str, str]]:
        if ref.kind == "Namespace":
            return (0, ref.key)
        return (1 if ref.kind in CLUSTER_SCOPED else 2, ref.key)

    return sorted(objects, key=rank)


def prune_set(previous: Iterable[ObjectRef], current: Iterable[ObjectRef]) -> list[ObjectRef]:
    """Objects the last run applied that this bundle no longer has: namespaced ones first, patches never."""
    kept = {ref.key for ref in current}
    dropped = [ref for ref in previous if ref.key not in kept and not ref.patch]
    return list(reversed(apply_order(dropped)))


class KubeApi(Protocol):
    """What the applier needs from a cluster."""

    def apply(self, ref: ObjectRef, manifest_path: Path) -> None:
        """Server-side apply the object in `manifest_path`."""

    def delete(self, ref: ObjectRef) -> None:
        """Delete the object; an object already gone is not an error."""


class ApplyError(Exception):
    """One object could not be applied or deleted; names it and the cluster's answer."""


class Kubectl:
    """`KubeApi` through the kubectl of the runner's image (kubeconfig from `aws eks update-kubeconfig`)."""

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(["kubectl", *args], capture_output=True, text=True, check=False)
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            raise ApplyError(done.stderr.strip() or f"kubectl {' '.join(args)} exited {done.returncode}")

    def apply(self, ref: ObjectRef, manifest_path: Path) -> None:
        """`kubectl apply --server-side`: the same field ownership the Pulumi provider would take."""
        self._run(
            [
                "apply",
                "--server-side",
                f"--field-manager={FIELD_MANAGER}",
                "--force-conflicts",
                "-f",
                str(manifest_path),
            ]
        )

    def delete(self, ref: ObjectRef) -> None:
        """`kubectl delete --ignore-not-found --wait=false`."""
        scope = ["-n", ref.namespace] if ref.namespace else []
        kind = ref.kind if "/" not in ref.api_version else f"{ref.kind}.{ref.api_version.split('/')[0]}"
        self._run(["delete", kind, ref.name, *scope, "--ignore-not-found", "--wait=false"])


def load_refs(path: Path) -> list[ObjectRef]:
    """The `objects` of an index or record file."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [ObjectRef(**item) for item in doc.get("objects", [])]


@dataclass(frozen=True)
class RunResult:
    """What one run did."""

    applied: list[ObjectRef]
    pruned: list[ObjectRef]


def run(
    bundle_dir: Path,
    current: list[ObjectRef],
    previous: list[ObjectRef],
    api: KubeApi,
    emit: Callable[[str], None] = print,
) -> RunResult:
    """Apply `current` (files relative to `bundle_dir`), then prune; stop at the first failure."""
    applied: list[ObjectRef] = []
    for ref in apply_order(current):
        try:
            api.apply(ref, bundle_dir / ref.file)
        except ApplyError as err:
            raise ApplyError(f"apply {ref.describe()}: {err}") from None
        emit(f"applied {ref.describe()}")
        applied.append(ref)
    pruned: list[ObjectRef] = []
    for ref in prune_set(previous, current):
        try:
            api.delete(ref)
        except ApplyError as err:
            raise ApplyError(f"delete {ref.describe()}: {err}") from None
        emit(f"pruned {ref.describe()}")
        pruned.append(ref)
    return RunResult(applied, pruned)


def record(result: RunResult) -> str:
    """The record a successful run leaves for the next one (same shape as the index)."""
    return json.dumps({"objects": [asdict(ref) for ref in result.applied]}, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None, api: KubeApi | None = None) -> int:
    """Entry point of the runner's build (`api`: the cluster; kubectl unless a test passes another)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--previous", type=Path, required=True)
    parser.add_argument("--applied", type=Path, required=True)
    options = parser.parse_args(argv)
    try:
        result = run(options.index.parent, load_refs(options.index), load_refs(options.previous), api or Kubectl())
    except ApplyError as err:
        print(f"finstack runner: {err}", file=sys.stderr)
        return 1
    options.applied.write_text(record(result), encoding="utf-8")
    print(f"finstack runner: {len(result.applied)} applied, {len(result.pruned)} pruned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
