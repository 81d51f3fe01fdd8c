"""Plan-export resources as the analyzer messages the Pulumi engine sends a policy pack.

Mirrors the engine's step generator: `Analyze` gets a resource's inputs, `AnalyzeStack` every
resource's final state, both with the options and the resolved provider (its inputs). Property
maps are marshalled as the CLI does (`KeepUnknowns`, `KeepSecrets`, `SkipInternalKeys`): keys
starting with `__` are dropped at every level and the export's unknown sentinel is already the
wire's UNKNOWN string, so it passes through unchanged and the SDK sees an unknown.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from finstack.check.report import ROOT_STACK_TYPE

PROVIDER_TYPE_PREFIX = "pulumi:providers:"

# The Python distribution of each provider package, for the default provider's `version`.
_PROVIDER_DISTRIBUTIONS = {"aws": "pulumi_aws", "kubernetes": "pulumi_kubernetes"}


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    """A property map as a protobuf Struct, internal (`__`) keys skipped at every level."""
    struct = struct_pb2.Struct()
    struct.update(_skip_internal(properties))
    return struct


def _skip_internal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _skip_internal(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, (list, tuple)):
        return [_skip_internal(v) for v in value]
    return value


def urn_name(urn: str) -> str:
    """The name part of a URN (what the engine passes as the resource's name)."""
    return urn.rsplit("::", 1)[-1]


def root_stack_urn(project: str, stack: str) -> str:
    """The engine's DefaultRootStackURN."""
    return f"urn:pulumi:{stack}::{project}::{ROOT_STACK_TYPE}::{project}-{stack}"


@dataclass(frozen=True)
class ProviderRef:
    """A provider resource as the analyzer sees it: type, name, URN and its inputs."""

    urn: str
    type: str
    name: str
    properties: Mapping[str, Any]

    def to_wire(self) -> analyzer_pb2.AnalyzerProviderResource:
        """The protobuf AnalyzerProviderResource (built once: every resource it serves carries a copy)."""
        wired: analyzer_pb2.AnalyzerProviderResource | None = self.__dict__.get("_wire")
        if wired is None:
            wired = analyzer_pb2.AnalyzerProviderResource(
                urn=self.urn, type=self.type, name=self.name, properties=to_struct(self.properties)
            )
            object.__setattr__(self, "_wire", wired)  # a cache, not state: equality ignores it
        return wired


class ResourceIndex:
    """The export's resources by URN, with each one's provider resolved as the engine does.

    A custom resource registered without an explicit provider gets the package's *default*
    provider, which the engine creates from the stack's `<package>:*` config (e.g. `aws:region`)
    and names `default_<version>`; the export has no record of it, so it is synthesised here.
    """

    def __init__(self, export: Mapping[str, Any], stack_config: Mapping[str, str]):
        self.project: str = export["project"]
        self.stack: str = export["stack"]
        self.resources: list[dict[str, Any]] = []
        self.by_urn: dict[str, dict[str, Any]] = {}
        self.root_urn: str = root_stack_urn(self.project, self.stack)
        self._root_seen = False
        self._stack_config = stack_config
        self.default_providers: dict[str, ProviderRef] = {}
        self._providers: dict[str, ProviderRef | None] = {}
        self._explicit: dict[str, ProviderRef] = {}
        resources = list(export.get("resources") or [])
        for resource in resources:
            self._index(resource)
        for resource in resources:
            self._providers[resource["urn"]] = self._resolve(resource)

    def _index(self, resource: dict[str, Any]) -> None:
        self.resources.append(resource)
        self.by_urn[resource["urn"]] = resource
        if not self._root_seen and resource["type"] == ROOT_STACK_TYPE and not resource.get("parent"):
            self.root_urn, self._root_seen = resource["urn"], True

    def provider_of(self, resource: Mapping[str, Any]) -> ProviderRef | None:
        """The provider the engine would hand the pack with this resource."""
        return self._providers.get(resource["urn"])

    def _resolve(self, resource: Mapping[str, Any]) -> ProviderRef | None:
        reference = resource.get("provider")
        if reference:
            provider_urn = reference.rsplit("::", 1)[0]
            known = self._explicit.get(provider_urn)
            if known is not None:
                return known
            record = self.by_urn.get(provider_urn)
            if record is None:  # not in the export: type and name from its URN, no inputs
                provider_type = provider_urn.split("::")[-2].split("$")[-1]
                return ProviderRef(provider_urn, provider_type, urn_name(provider_urn), {})
            provider = ProviderRef(provider_urn, record["type"], urn_name(provider_urn), record.get("inputs") or {})
            self._explicit[provider_urn] = provider
            return provider
        if not resource.get("custom") or resource["type"].startswith(PROVIDER_TYPE_PREFIX):
            return None
        return self._default_provider(resource["type"].split(":", 1)[0])

    def _default_provider(self, package: str) -> ProviderRef:
        if package not in self.default_providers:
            version = _package_version(package)
            name = f"default_{version.replace('.', '_').replace('-', '_')}" if version else "default"
            provider_type = f"{PROVIDER_TYPE_PREFIX}{package}"
            properties: dict[str, Any] = {
                key.split(":", 1)[1]: value
                for key, value in self._stack_config.items()
                if key.startswith(f"{package}:")
            }
            if version:
                properties["version"] = version
            urn = f"urn:pulumi:{self.stack}::{self.project}::{provider_type}::{name}"
            self.default_providers[package] = ProviderRef(urn, provider_type, name, properties)
        return self.default_providers[package]

    def stack_properties(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """The state AnalyzeStack sees: the resource's outputs, its declared inputs taking precedence.

        The engine hands AnalyzeStack each resource's outputs. The offline outputs are the mocks'
        inputs plus computed values, so overlaying the inputs changes nothing for a fresh export
        and keeps an edited export (`--export`, mutation tests) consistent with its inputs.
        """
        return {**(resource.get("outputs") or {}), **(resource.get("inputs") or {})}

    def all_resources(self) -> Iterable[dict[str, Any]]:
        """The export's resources plus the synthesised default providers (the engine's `news`)."""
        yield from self.resources
        for provider in self.default_providers.values():
            yield _provider_resource(provider, self.root_urn)


def _provider_resource(provider: ProviderRef, root_urn: str) -> dict[str, Any]:
    """A synthesised default provider as an export resource."""
    return {
        "urn": provider.urn,
        "type": provider.type,
        "name": provider.name,
        "custom": True,
        "parent": root_urn,
        "provider": None,
        "inputs": dict(provider.properties),
        "outputs": dict(provider.properties),
        "options": {},
        "dependencies": [],
        "propertyDependencies": {},
        "source": None,
    }


def _package_version(package: str) -> str:
    distribution = _PROVIDER_DISTRIBUTIONS.get(package, f"pulumi_{package}")
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def resource_options(resource: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    """The resource's options as the engine marshals them (marshalResourceOptions)."""
    options = resource.get("options") or {}
    delete_before_replace = bool(options.get("deleteBeforeReplace"))
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(options.get("protect")),
        ignoreChanges=list(options.get("ignoreChanges") or []),
        deleteBeforeReplace=delete_before_replace,
        # The export keeps a plain bool: only an explicit `True` is known to have been set.
        deleteBeforeReplaceDefined=delete_before_replace,
        additionalSecretOutputs=list(options.get("additionalSecretOutputs") or []),
        aliases=list(options.get("aliases") or []),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=resource.get("parent") or "",
    )


def analyze_request(
    resource: Mapping[str, Any], index: ResourceIndex, properties: Mapping[str, Any] | None = None
) -> analyzer_pb2.AnalyzeRequest:
    """`Analyze` for one resource: its inputs (or remediated `properties`), options and provider."""
    return analyze_request_with(resource, index.provider_of(resource), properties)


def analyze_request_with(
    resource: Mapping[str, Any], provider: ProviderRef | None, properties: Mapping[str, Any] | None = None
) -> analyzer_pb2.AnalyzeRequest:
    """`Analyze` for one resource whose provider is already resolved (`ResourceIndex.provider_of`)."""
    return analyzer_pb2.AnalyzeRequest(
        urn=resource["urn"],
        type=resource["type"],
        name=urn_name(resource["urn"]),
        properties=to_struct(resource.get("inputs") or {} if properties is None else properties),
        options=resource_options(resource),
        provider=provider.to_wire() if provider else None,
    )


def stack_request(index: ResourceIndex) -> analyzer_pb2.AnalyzeStackRequest:
    """`AnalyzeStack` with every resource (parent, dependencies, property dependencies, provider)."""
    resources = []
    for resource in index.all_resources():
        provider = index.provider_of(resource) if resource["urn"] in index.by_urn else None
        resources.append(
            analyzer_pb2.AnalyzerResource(
                urn=resource["urn"],
                type=resource["type"],
                name=urn_name(resource["urn"]),
                properties=to_struct(index.stack_properties(resource)),
                options=resource_options(resource),
                provider=provider.to_wire() if provider else None,
                parent=resource.get("parent") or "",
                dependencies=list(resource.get("dependencies") or []),
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                    for key, urns in (resource.get("propertyDependencies") or {}).items()
                    if urns  # the engine skips properties without dependencies
                },
            )
        )
    return analyzer_pb2.AnalyzeStackRequest(resources=resources)
