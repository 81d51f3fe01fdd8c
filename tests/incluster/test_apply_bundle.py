"""The runner's applier: what it applies, in which order, and what it prunes (pure, plus a fake cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finstack.incluster import apply_bundle
from finstack.incluster.apply_bundle import ApplyError, ObjectRef, apply_order, prune_set, record, run

KINDS = [("v1", "Namespace"), ("storage.k8s.io/v1", "StorageClass"), ("v1", "ServiceAccount"),
         ("networking.k8s.io/v1", "NetworkPolicy"), ("rbac.authorization.k8s.io/v1", "Role")]  # fmt: skip


@st.composite
def refs(draw: st.DrawFn) -> ObjectRef:
    api_version, kind = draw(st.sampled_from(KINDS))
    namespaced = kind not in apply_bundle.CLUSTER_SCOPED
    return ObjectRef(
        api_version=api_version,
        kind=kind,
        name=draw(st.sampled_from(["a", "b", "default"])),
        namespace=draw(st.sampled_from(["ledger", "risk"])) if namespaced else "",
        file=f"manifests/{kind}.yaml",
        patch=draw(st.booleans()) if kind == "ServiceAccount" else False,
    )


@given(st.lists(refs(), max_size=12))
def test_apply_order__namespaces_then_cluster_scoped_then_namespaced(objects: list[ObjectRef]) -> None:
    ordered = apply_order(objects)
    assert sorted(ordered) == sorted(objects)
    ranks = [0 if r.kind == "Namespace" else 1 if r.kind in apply_bundle.CLUSTER_SCOPED else 2 for r in ordered]
    assert ranks == sorted(ranks), ordered


@given(st.lists(refs(), max_size=10), st.lists(refs(), max_size=10))
def test_prune_set__only_dropped_objects_never_patches_namespaces_last(
    previous: list[ObjectRef], current: list[ObjectRef]
) -> None:
    pruned = prune_set(previous, current)
    kept = {r.key for r in current}
    assert all(r.key not in kept and not r.patch for r in pruned), pruned
    assert {r.key for r in pruned} == {r.key for r in previous if r.key not in kept and not r.patch}
    namespaces = [i for i, r in enumerate(pruned) if r.kind == "Namespace"]
    others = [i for i, r in enumerate(pruned) if r.kind != "Namespace"]
    if namespaces and others:
        assert min(namespaces) > max(others), f"a namespace would take objects still to be pruned with it: {pruned}"


class FakeCluster:
    def __init__(self, fail_on: str = "") -> None:
        self.applied: list[str] = []
        self.deleted: list[str] = []
        self.fail_on = fail_on

    def apply(self, ref: ObjectRef, manifest_path: Path) -> None:
        assert manifest_path.is_file(), manifest_path
        if ref.name == self.fail_on:
            raise ApplyError("admission webhook denied the request")
        self.applied.append(ref.describe())

    def delete(self, ref: ObjectRef) -> None:
        self.deleted.append(ref.describe())


def _bundle(tmp_path: Path, objects: list[ObjectRef]) -> None:
    for ref in objects:
        (tmp_path / ref.file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ref.file).write_text("{}", encoding="utf-8")


NS = ObjectRef("v1", "Namespace", "ledger", file="manifests/ns.yaml")
POLICY = ObjectRef("networking.k8s.io/v1", "NetworkPolicy", "default-deny", "ledger", "manifests/np.yaml")
OLD = ObjectRef("networking.k8s.io/v1", "NetworkPolicy", "allow-old", "ledger", "manifests/old.yaml")
DEFAULT_SA = ObjectRef("v1", "ServiceAccount", "default", "ledger", "manifests/sa.yaml", patch=True)


def test_run__applies_in_order_then_prunes_what_the_bundle_dropped(tmp_path: Path) -> None:
    _bundle(tmp_path, [NS, POLICY])
    cluster = FakeCluster()
    result = run(tmp_path, [POLICY, NS], [NS, POLICY, OLD, DEFAULT_SA], cluster, emit=lambda _: None)
    assert cluster.applied == ["Namespace ledger", "NetworkPolicy ledger/default-deny"]
    assert cluster.deleted == ["NetworkPolicy ledger/allow-old"], "a patch of a controller's object is never pruned"
    assert json.loads(record(result))["objects"][0]["name"] == "ledger"


def test_run__a_refused_object_stops_the_run_before_any_prune(tmp_path: Path) -> None:
    _bundle(tmp_path, [NS, POLICY])
    cluster = FakeCluster(fail_on="default-deny")
    with pytest.raises(ApplyError, match="apply NetworkPolicy ledger/default-deny: admission webhook denied"):
        run(tmp_path, [NS, POLICY], [OLD], cluster, emit=lambda _: None)
    assert cluster.deleted == []


def test_main__writes_no_record_when_an_apply_fails(tmp_path: Path) -> None:
    _bundle(tmp_path, [NS])
    index = tmp_path / "index.json"
    index.write_text(json.dumps({"objects": [NS.__dict__]}), encoding="utf-8")
    previous = tmp_path / "previous.json"
    previous.write_text('{"objects": []}', encoding="utf-8")
    applied = tmp_path / "applied.json"
    argv = ["--index", str(index), "--previous", str(previous), "--applied", str(applied)]
    assert apply_bundle.main(argv, api=FakeCluster(fail_on="ledger")) == 1
    assert not applied.exists()


def test_apply_bundle__runs_without_finstack_installed() -> None:
    # The runner executes it with the image's python3 alone: standard library imports only.
    source = Path(apply_bundle.__file__).read_text(encoding="utf-8")
    imports = {line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {
        "__future__",
        "argparse",
        "json",
        "subprocess",
        "sys",
        "collections",
        "dataclasses",
        "pathlib",
        "typing",
    }, imports
