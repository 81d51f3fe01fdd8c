"""The plan export (contract in the README / shared design): every registered resource as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc

from finstack.engine.recording import ResourceRecord
from finstack.engine.runner import ProgramRun

# How an unknown (computed at `up`) value and a secret appear in the export.
# Unknowns keep the engine's wire sentinel so `finstack check` can hand them on unchanged.
UNKNOWN = rpc.UNKNOWN
SECRET = "[secret]"


def plain(value: Any) -> Any:
    """JSON-safe copy: secrets redacted, assets as their text or path, resources as URNs."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, Unknown):
        # An Output the mocks left unresolved (a computed property no mock answered): the engine's
        # sentinel, never the object's repr (its memory address would make two runs differ).
        return UNKNOWN
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    assets = getattr(value, "assets", None)
    if isinstance(assets, dict):  # an AssetArchive (e.g. a Lambda function's code): its members
        return {"assets": {str(k): plain(v) for k, v in sorted(assets.items())}}
    for attr in ("text", "path", "uri"):
        if isinstance(getattr(value, attr, None), str):
            return getattr(value, attr)
    return str(value)


def _source(record: ResourceRecord, project_dir: Path) -> dict[str, Any] | None:
    if not record.source_file:
        return None
    path = Path(record.source_file)
    try:
        shown = path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        shown = path.as_posix()
    return {"file": shown, "line": record.source_line}


def resource_entry(record: ResourceRecord, project_dir: Path) -> dict[str, Any]:
    """One resource of the export, shaped like the engine's AnalyzerResource."""
    return {
        "urn": record.urn,
        "type": record.type,
        "name": record.name,
        "custom": record.custom,
        "parent": record.parent,
        "provider": record.provider,
        "region": record.region,
        "inputs": plain(record.inputs),
        "outputs": plain(record.outputs),
        "options": {
            "protect": record.protect,
            "ignoreChanges": list(record.ignore_changes),
            "deleteBeforeReplace": record.delete_before_replace,
            "retainOnDelete": record.retain_on_delete,
        },
        "dependencies": sorted(record.dependencies),
        "propertyDependencies": {k: sorted(v) for k, v in sorted(record.property_dependencies.items())},
        "source": _source(record, project_dir),
    }


def plan_export(run: ProgramRun, project_dir: Path) -> dict[str, Any]:
    """The whole export document."""
    return {
        "project": run.project,
        "stack": run.stack,
        "resources": [resource_entry(r, project_dir) for r in run.records],
        "outputs": plain(run.outputs),
    }
