"""The bundle a cell's runner applies: `index.json`, `manifests/**.yaml` and `apply_bundle.py`, zipped.

On AWS the manifests are what pulumi-kubernetes rendered (`renderYamlToDirectory`) during `pulumi up`;
in the emulator they are built from the offline run's records of the same objects (the wire inputs
are the Kubernetes fields), so both reach the runner in one format.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from finstack.engine.recording import ResourceRecord
from finstack.incluster import apply_bundle
from finstack.incluster.apply_bundle import ObjectRef

INDEX = "index.json"
APPLIER = "apply_bundle.py"
MANIFESTS = "manifests"
# Objects a Kubernetes controller creates and finstack only patches (one field, server-side):
# they are applied like the rest but never pruned.
CONTROLLER_OWNED = frozenset({("ServiceAccount", "default")})
# A fixed timestamp: the same objects give the same bundle bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


class BundleError(Exception):
    """A rendered directory that cannot become a bundle (missing, empty, or not Kubernetes objects)."""


@dataclass(frozen=True)
class Bundle:
    """The objects of one cell and their manifests (file name -> manifest)."""

    objects: tuple[ObjectRef, ...]
    manifests: dict[str, dict[str, Any]]

    def zip_bytes(self) -> bytes:
        """The zip CodeBuild unpacks into its source directory."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            entries = {
                INDEX: json.dumps({"objects": [asdict(ref) for ref in self.objects]}, indent=2, sort_keys=True),
                APPLIER: Path(apply_bundle.__file__).read_text(encoding="utf-8"),
                **{name: yaml.safe_dump(doc, sort_keys=True) for name, doc in self.manifests.items()},
            }
            for name in sorted(entries):
                archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), entries[name])
        return buffer.getvalue()


def _ref(manifest: dict[str, Any], file: str, patch: bool = False) -> ObjectRef:
    metadata = manifest.get("metadata") or {}
    kind = str(manifest.get("kind", ""))
    name = str(metadata.get("name", ""))
    if not manifest.get("apiVersion") or not kind or not name:
        raise BundleError(f"{file}: not a Kubernetes object (apiVersion, kind and metadata.name are required)")
    return ObjectRef(
        api_version=str(manifest["apiVersion"]),
        kind=kind,
        name=name,
        namespace=str(metadata.get("namespace") or ""),
        file=file,
        patch=patch or (kind, name) in CONTROLLER_OWNED,
    )


def _file_name(ref: ObjectRef) -> str:
    group = ref.api_version.replace("/", "_")
    return f"{MANIFESTS}/{group}_{ref.kind}_{ref.namespace or '_'}_{ref.name}.yaml".lower()


def from_rendered_dir(directory: Path) -> Bundle:
    """The objects pulumi-kubernetes rendered into `directory` (every YAML document below it)."""
    if not directory.is_dir():
        raise BundleError(f"{directory}: no rendered manifests; run `pulumi up` first (it renders them there)")
    objects: list[ObjectRef] = []
    manifests: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not doc:
                continue
            ref = _ref(doc, "")
            ref = ObjectRef(**{**asdict(ref), "file": _file_name(ref)})
            objects.append(ref)
            manifests[ref.file] = doc
    if not objects:
        raise BundleError(f"{directory}: no Kubernetes objects rendered; run `pulumi up` first")
    return Bundle(tuple(objects), manifests)


def api_version_of(type_token: str) -> tuple[str, str, bool]:
    """`kubernetes:networking.k8s.io/v1:NetworkPolicy` -> (`networking.k8s.io/v1`, `NetworkPolicy`, patch?)."""
    _, module, kind = type_token.split(":", 2)
    group, _, version = module.rpartition("/")
    patch = kind.endswith("Patch")
    kind = kind.removesuffix("Patch")
    return (version if group == "core" else f"{group}/{version}"), kind, patch


def from_records(records: Iterable[ResourceRecord], provider_urn: str) -> Bundle:
    """The Kubernetes objects an offline run sent through one provider, as manifests."""
    objects: list[ObjectRef] = []
    manifests: dict[str, dict[str, Any]] = {}
    for record in records:
        if not record.custom or not record.type.startswith("kubernetes:") or record.provider_urn != provider_urn:
            continue
        api_version, kind, patch = api_version_of(record.type)
        manifest = {"apiVersion": api_version, "kind": kind, **record.inputs}
        ref = _ref(manifest, "", patch)
        ref = ObjectRef(**{**asdict(ref), "file": _file_name(ref)})
        objects.append(ref)
        manifests[ref.file] = manifest
    return Bundle(tuple(objects), manifests)


def read_zip(data: bytes) -> tuple[list[ObjectRef], dict[str, dict[str, Any]]]:
    """The index and manifests of a bundle zip (the emulator's runner reads what was uploaded)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        index = json.loads(archive.read(INDEX))
        refs = [ObjectRef(**item) for item in index.get("objects", [])]
        manifests = {ref.file: yaml.safe_load(archive.read(ref.file)) for ref in refs}
    return refs, manifests


def for_manifest_dir(records: Iterable[ResourceRecord], manifest_dir: str) -> Bundle:
    """The objects an offline run rendered into `manifest_dir` (through the provider aimed there)."""
    listed = list(records)
    providers = [
        r
        for r in listed
        if r.type == "pulumi:providers:kubernetes" and r.inputs.get("renderYamlToDirectory") == manifest_dir
    ]
    if len(providers) != 1:
        raise BundleError(f"{manifest_dir}: expected one Kubernetes provider rendering there, found {len(providers)}")
    return from_records(listed, providers[0].urn)
