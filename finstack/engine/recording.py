"""A mock resource monitor that records every registration the way the Pulumi engine sees it.

`Mocks.new_resource` only receives type, name, inputs and provider. A policy pack gets more
from the engine (parent, dependencies, property dependencies, protect, ignoreChanges,
provider, source position), so this monitor keeps the whole `RegisterResourceRequest`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, Mocks

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class ResourceRecord:
    """One registered resource: what the program asked for and what the mocks answered."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    source_file: str | None = None
    source_line: int | None = None
    region: str | None = None

    @property
    def provider_urn(self) -> str | None:
        """The URN part of the provider reference (`<urn>::<id>`)."""
        return self.provider.rsplit("::", 1)[0] if self.provider else None


class RecordingMonitor(MockMonitor):
    """MockMonitor that keeps a ResourceRecord per registration, in registration order."""

    def __init__(self, mocks: Mocks):
        super().__init__(mocks)
        self.records: dict[str, ResourceRecord] = {}
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        """Record the full request, then let MockMonitor ask the mocks for id and outputs."""
        response = super().RegisterResource(request)
        urn = response.urn
        if request.type == STACK_TYPE:
            inputs: dict[str, Any] = {}
            outputs: dict[str, Any] = {}
            resource_id = ""
        else:
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            registered = self.resources[urn]
            outputs, resource_id = registered.state, registered.id
        source_file, source_line = _source(request)
        record = ResourceRecord(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            provider=request.provider or None,
            inputs=inputs,
            outputs=outputs,
            id=resource_id or "",
            protect=bool(request.protect),
            ignore_changes=list(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete),
            custom_timeouts={
                op: value for op in ("create", "update", "delete") if (value := getattr(request.customTimeouts, op, ""))
            },
            dependencies=list(request.dependencies),
            property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()},
            source_file=source_file,
            source_line=source_line,
        )
        with self._lock:
            self.records[urn] = record
        return response


def _source(request: Any) -> tuple[str | None, int | None]:
    """The first frame of program code that led to this registration.

    The SDK's own `sourcePosition` guesses the caller by counting `__init__` frames, which
    lands inside pulumi_aws for providers; the stack trace lets us skip library frames.
    """
    if request.type == STACK_TYPE:
        return None, None
    positions = [frame.pc for frame in request.stackTrace.frames if frame.HasField("pc")]
    if request.HasField("sourcePosition"):
        positions.insert(0, request.sourcePosition)
    for position in positions:
        path = unquote(urlparse(position.uri).path)
        if path and not _is_library(path):
            return path, position.line or None
    return None, None


def _is_library(path: str) -> bool:
    return any(part in path for part in ("/site-packages/", "/dist-packages/", "/lib/python3"))
