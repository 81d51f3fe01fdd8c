"""Fixtures for `finstack check`: the test pack, small hand-made exports, the shipped stack files."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finstack.check.session import AnalyzerSession
from finstack.project import StackFiles, load_stack
from tests.plan import PROJECT_DIR

TESTPACK = Path(__file__).resolve().parent / "fixtures" / "testpack"
SCHEMAS = PROJECT_DIR / "finstack" / "schemas"

STACK = "prod"
ROOT_URN = f"urn:pulumi:{STACK}::finstack::pulumi:pulumi:Stack::finstack-{STACK}"
PROVIDER_URN = f"urn:pulumi:{STACK}::finstack::pulumi:providers:aws::aws-east"
PROVIDER_REF = f"{PROVIDER_URN}::0b8a6c3e-provider-id"
GLOBAL_URN = f"urn:pulumi:{STACK}::finstack::aws:rds/globalCluster:GlobalCluster::aurora-global"


def cluster_urn(name: str) -> str:
    return f"urn:pulumi:{STACK}::finstack::aws:rds/cluster:Cluster::{name}"


def resource(
    urn: str,
    inputs: dict[str, Any],
    *,
    custom: bool = True,
    provider: str | None = PROVIDER_REF,
    dependencies: tuple[str, ...] = (),
    source: tuple[str, int] | None = ("components/aurora_global.py", 405),
) -> dict[str, Any]:
    """One export entry shaped like finstack.engine.export.resource_entry."""
    type_ = urn.split("::")[-2].rsplit("$", maxsplit=1)[-1]
    return {
        "urn": urn,
        "type": type_,
        "name": urn.rsplit("::", maxsplit=1)[-1],
        "custom": custom,
        "parent": ROOT_URN,
        "provider": provider,
        "region": inputs.get("region"),
        "inputs": inputs,
        "outputs": {**inputs, "arn": f"arn:aws:rds:::{urn.rsplit('::', maxsplit=1)[-1]}"},
        "options": {"protect": False, "ignoreChanges": [], "deleteBeforeReplace": False, "retainOnDelete": False},
        "dependencies": list(dependencies),
        "propertyDependencies": {"globalClusterIdentifier": list(dependencies)} if dependencies else {},
        "source": {"file": source[0], "line": source[1]} if source else None,
    }


def good_cluster(name: str, region: str) -> dict[str, Any]:
    return resource(
        cluster_urn(name),
        {
            "region": region,
            "storageEncrypted": True,
            "globalClusterIdentifier": "aurora-global",
            "tags": {"owner": "platform-team", "costCenter": "cc-1001"},
        },
        dependencies=(GLOBAL_URN,),
    )


def clean_export() -> dict[str, Any]:
    """A compliant plan: provider, global cluster, one encrypted member cluster per region."""
    return {
        "project": "finstack",
        "stack": STACK,
        "resources": [
            resource(ROOT_URN, {}, custom=False, provider=None, source=None) | {"parent": None},
            resource(PROVIDER_URN, {"region": "us-east-1"}, provider=None, source=("infra/program.py", 45)),
            resource(GLOBAL_URN, {"tags": {"owner": "platform-team"}, "storageEncrypted": True}),
            good_cluster("aurora-use1", "us-east-1"),
            good_cluster("aurora-usw2", "us-west-2"),
        ],
        "outputs": {},
    }


def edited(export: dict[str, Any], urn: str, **inputs: Any) -> dict[str, Any]:
    """A deep copy of `export` with `inputs` set on the resource `urn`."""
    copied = copy.deepcopy(export)
    target = next(r for r in copied["resources"] if r["urn"] == urn)
    target["inputs"].update(inputs)
    return copied


def without(export: dict[str, Any], urn: str) -> dict[str, Any]:
    copied = copy.deepcopy(export)
    copied["resources"] = [r for r in copied["resources"] if r["urn"] != urn]
    return copied


@pytest.fixture(scope="session")
def prod_files() -> StackFiles:
    return load_stack(STACK, PROJECT_DIR)


def files_with(files: StackFiles, **config: Any) -> StackFiles:
    """The stack files with config keys replaced (e.g. {"aws:region": "eu-west-1"})."""
    raw = {**copy.deepcopy(files.raw_config), **config}
    return dataclasses.replace(files, raw_config=raw)


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_pack(directory: Path, main: str) -> Path:
    """A minimal Python policy pack in `directory` whose `__main__.py` is `main`."""
    directory.mkdir()
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\n", encoding="utf-8")
    (directory / "__main__.py").write_text(main, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def testpack_session(prod_files: StackFiles) -> Iterator[AnalyzerSession]:
    """One test pack with its defaults, shared by a module's tests (the protocol allows many checks)."""
    with AnalyzerSession(TESTPACK, prod_files, None) as session:
        yield session
