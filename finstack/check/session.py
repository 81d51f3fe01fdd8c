"""The engine's half of the analyzer protocol, against a running policy pack.

Call order, as the Pulumi CLI's (plugin loading, then the step generator): Handshake (the
Python SDK answers UNIMPLEMENTED, which the CLI accepts), ConfigureStack, GetAnalyzerInfo,
Configure with the reconciled policy config, then Remediate (only when a policy runs at
`remediate`) and Analyze for every resource, and AnalyzeStack once with all of them.

Two differences from the CLI, neither visible in the results: the pack may run as several
identical processes, each started and configured exactly as the CLI starts one, sharing the
Analyze calls; and AnalyzeStack runs alongside the Analyze calls instead of after them. Both
are sound because the SDK answers every call from the request and the configuration alone;
benchmarks/check_overhead.py measures what they buy. One session can check many exports (the
pack is configured once), which the mutation tests rely on.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import grpc
import yaml
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from finstack.check import policy_config, wire
from finstack.check.engine_service import EngineService
from finstack.check.pack import STARTUP_TIMEOUT_S, PackDirectory, PackProcess, PolicyPackError, pack_environment
from finstack.check.report import (
    CheckReport,
    ComplianceFramework,
    EnforcementLevel,
    PackMeta,
    PolicyMeta,
    Severity,
    SourceRef,
    Violation,
)
from finstack.errors import UsageError
from finstack.project import StackFiles

log = logging.getLogger(__name__)

# Pack processes per session: one per core, at most two (the pack's own work is GIL-bound,
# so a process is the unit of parallelism; a third brought nothing on the 2-core CI machine).
DEFAULT_PROCESSES = max(1, min(2, os.cpu_count() or 1))
# Calls kept in flight per process: the SDK serves with a pool of 4 threads.
CALLS_PER_PROCESS = 4
# The CLI raises gRPC's message limit to 400 MiB for analyzers (AnalyzeStack carries every resource).
_MAX_MESSAGE = 400 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]
# One policy call takes milliseconds; this only catches a hung pack.
_CALL_TIMEOUT_S = 120.0

_SEVERITY: dict[int, Severity | None] = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: None,
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPE = {
    analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
    analyzer_pb2.POLICY_TYPE_STACK: "stack",
}

Analyzed = tuple[dict[str, Any], Any]  # (export resource, AnalyzeResponse)


@dataclass
class _Analyzer:
    """One running copy of the pack and the stub that speaks to it."""

    process: PackProcess
    channel: grpc.Channel | None = None
    stub: analyzer_pb2_grpc.AnalyzerStub | None = None


class AnalyzerSession:
    """A policy pack, started as the CLI starts it and configured for one stack.

    `with AnalyzerSession(...) as session:` spawns the pack processes at once (so they boot
    while the program runs) and stops them on the way out, whatever happened (an exception,
    Ctrl-C); `check(export)` connects on first use and analyzes one plan export.
    """

    def __init__(
        self,
        pack_dir: Path,
        files: StackFiles,
        config_file: Path | None,
        processes: int = DEFAULT_PROCESSES,
    ) -> None:
        # Every input is validated before anything is started: bad input never spawns a process.
        self.pack = PackDirectory.load(pack_dir)
        self.files = files
        self.config_file = config_file
        self.given_config = policy_config.load_policy_config(config_file) if config_file else {}
        self.processes = max(1, processes)
        self._engine: EngineService | None = None
        self._analyzers: list[_Analyzer] = []
        self._meta: PackMeta | None = None
        # AnalyzeStack goes to each pack process in turn, so concurrent checks share the work.
        self._stack_turn = itertools.count()
        self._config: dict[str, policy_config.PolicyConfig] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> AnalyzerSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pids(self) -> tuple[int, ...]:
        """The pack processes' ids (tests assert they are gone afterwards)."""
        return tuple(a.process.pid for a in self._analyzers if a.process.pid is not None)

    def start(self) -> None:
        """Serve the engine address and spawn the pack processes; does not wait for them."""
        if self._analyzers:
            return
        files = self.files
        self._engine = EngineService(wire.root_stack_urn(files.project, files.stack))
        env = pack_environment(files.project, files.stack, files.pulumi_config())
        try:
            for _ in range(self.processes):
                analyzer = _Analyzer(PackProcess(self.pack, self._engine.address, env))
                self._analyzers.append(analyzer)
                analyzer.process.start()
        except OSError as err:
            self.close()
            raise PolicyPackError(f"policy pack {self.pack.path}: cannot start {self.pack.python()}: {err}") from None

    def close(self) -> None:
        """Close the channels, stop the packs and the engine service. Safe to call twice."""
        for analyzer in self._analyzers:
            if analyzer.channel is not None:
                analyzer.channel.close()
                analyzer.channel = None
            analyzer.process.stop()
        if self._engine is not None:
            self._engine.stop()
            self._engine = None

    def connect(self) -> PackMeta:
        """Wait for the packs; Handshake, ConfigureStack, GetAnalyzerInfo and Configure each."""
        if self._meta is not None:
            return self._meta
        self.start()
        assert self._engine is not None
        for analyzer in self._analyzers:
            port = analyzer.process.wait_for_port()
            analyzer.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_CHANNEL_OPTIONS)
            try:
                grpc.channel_ready_future(analyzer.channel).result(timeout=STARTUP_TIMEOUT_S)
            except grpc.FutureTimeoutError:
                raise PolicyPackError(f"policy pack {self.pack.path} printed port {port} but does not answer") from None
            analyzer.stub = analyzer_pb2_grpc.AnalyzerStub(analyzer.channel)
            self._handshake(analyzer.stub, self._engine.address)
            self._configure_stack(analyzer.stub)
        stub = self._stub(0)
        info = self._call("GetAnalyzerInfo", stub.GetAnalyzerInfo, empty_pb2.Empty())
        self._meta, self._config = self._configure(info)
        return self._meta

    def _stub(self, position: int) -> analyzer_pb2_grpc.AnalyzerStub:
        stub = self._analyzers[position].stub
        assert stub is not None, "connect() first"
        return stub

    # -- protocol steps ----------------------------------------------------------------------

    def _handshake(self, stub: analyzer_pb2_grpc.AnalyzerStub, engine_address: str) -> None:
        directory = str(self.pack.path)
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=engine_address, root_directory=directory, program_directory=directory
        )
        self._optional_call("Handshake", stub.Handshake, request)

    def _configure_stack(self, stub: analyzer_pb2_grpc.AnalyzerStub) -> None:
        files = self.files
        request = analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=files.stack,
            project=files.project,
            organization="organization",
            dry_run=True,
            config=files.pulumi_config(),
            tags=stack_tags(files),
        )
        self._optional_call("ConfigureStack", stub.ConfigureStack, request)

    def _configure(self, info: Any) -> tuple[PackMeta, dict[str, policy_config.PolicyConfig]]:
        version = self.pack.version or info.version
        label = f"{info.name}@{version}"
        schemas: list[policy_config.PolicySchemaInfo] = []
        for policy in info.policies:
            schema = None
            if policy.HasField("configSchema"):
                schema = {
                    "properties": json_format.MessageToDict(policy.configSchema.properties),
                    "required": list(policy.configSchema.required),
                }
            if info.supportsConfig:
                schema = policy_config.with_enforcement_level_property(schema)
            schemas.append(policy_config.PolicySchemaInfo(policy.name, _level(policy.enforcementLevel), schema))
        initial = {
            name: policy_config.PolicyConfig(
                _level(value.enforcementLevel), json_format.MessageToDict(value.properties) or None
            )
            for name, value in info.initialConfig.items()
        }
        defaults = {s.name: s.enforcement_level for s in schemas}
        for name, entry in initial.items():
            if entry.enforcement_level == "advisory" and defaults.get(name) == "mandatory":
                # proto3 cannot tell "unset" from ADVISORY (0): the CLI downgrades such a policy too.
                log.warning(
                    "pack %s: initial_config for %s has no enforcementLevel, which the engine reads as "
                    "advisory; repeat EnforcementLevel.MANDATORY there",
                    label,
                    name,
                )
        source = _shown(self.config_file, self.files.project_dir) if self.config_file else "policy config"
        config: dict[str, policy_config.PolicyConfig] = {}
        if info.supportsConfig:
            config = policy_config.reconcile(schemas, initial, self.given_config, label, source)
            request = analyzer_pb2.ConfigureAnalyzerRequest(
                policyConfig={name: entry.to_wire() for name, entry in config.items()}
            )
            for position in range(len(self._analyzers)):
                self._call("Configure", self._stub(position).Configure, request)
        elif self.given_config:
            raise UsageError(f"{source}: pack {label} does not support config; remove the file or its entries")
        policies = tuple(
            _policy_meta(policy, config.get(policy.name)) for policy in sorted(info.policies, key=lambda p: p.name)
        )
        meta = PackMeta(
            name=info.name,
            version=version,
            policies=policies,
            description=info.description or self.pack.description,
            display_name=info.displayName,
        )
        log.debug("pack %s: %d policies configured", label, len(policies))
        return meta, config

    def check(self, export: Mapping[str, Any], only: Collection[str] | None = None) -> CheckReport:
        """Analyze the resources of `export` and the stack as a whole; the findings as a report.

        `only` limits Analyze to those URNs (AnalyzeStack always sees every resource): for
        re-checking an export after editing a few resources, as the mutation tests do.
        """
        meta = self.connect()
        _check_export_shape(export, self.files.stack)
        index = wire.ResourceIndex(export, self.files.pulumi_config())
        resources = list(index.all_resources())
        wanted = None if only is None else set(only)
        selected = resources if wanted is None else [r for r in resources if r["urn"] in wanted]
        violations: list[Violation] = []
        remediated: dict[str, dict[str, Any]] = {}
        if any(p.enforcement_level == "remediate" for p in meta.policies):
            remediated, notes = self._remediate_all(selected, index, meta)
            violations.extend(notes)
        analyzed, stack_response = self._analyze(selected, index, remediated)
        for resource, response in analyzed:
            # The engine attributes a resource diagnostic to the analyzed resource, whatever URN it names.
            violations.extend(self._violation(d, resource, meta) for d in response.diagnostics)
        everything = {r["urn"]: r for r in resources}
        for diagnostic in stack_response.diagnostics:
            # Empty or unknown URNs are the stack's, as the engine reports them.
            target = everything.get(diagnostic.urn) or everything.get(index.root_urn) or _root(index)
            violations.append(self._violation(diagnostic, target, meta))
        return CheckReport(
            project=self.files.project,
            stack=self.files.stack,
            packs=(meta,),
            resources_checked=len(selected),
            violations=tuple(sorted(violations, key=Violation.sort_key)),
            waivers=policy_config.waivers_of(self._config),
            config_file=_shown(self.config_file, self.files.project_dir),
            stack_config_file=_shown(self.files.config_file, self.files.project_dir),
        )

    def _analyze(
        self, resources: list[dict[str, Any]], index: wire.ResourceIndex, remediated: Mapping[str, dict[str, Any]]
    ) -> tuple[list[Analyzed], Any]:
        """AnalyzeStack on one pack process while workers on every process drain the Analyze queue.

        Safe to call from several threads at once (after `connect`): each call has its own queue.
        """
        work: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        for resource in resources:
            work.put(resource)
        stop = threading.Event()

        def drain(stub: analyzer_pb2_grpc.AnalyzerStub) -> list[Analyzed]:
            done: list[Analyzed] = []
            try:
                while not stop.is_set():
                    try:
                        resource = work.get_nowait()
                    except queue.Empty:
                        break
                    request = wire.analyze_request(resource, index, remediated.get(resource["urn"]))
                    done.append((resource, self._call(f"Analyze({resource['urn']})", stub.Analyze, request)))
            except BaseException:
                stop.set()  # one failure ends the check: the other workers stop after their call
                raise
            return done

        stubs = [self._stub(position) for position in range(len(self._analyzers))]
        executor = ThreadPoolExecutor(max_workers=1 + len(stubs) * CALLS_PER_PROCESS, thread_name_prefix="analyze")
        try:
            stack: Future[Any] = executor.submit(
                self._call,
                "AnalyzeStack",
                stubs[next(self._stack_turn) % len(stubs)].AnalyzeStack,
                wire.stack_request(index),
            )
            workers = [executor.submit(drain, stub) for stub in stubs for _ in range(CALLS_PER_PROCESS)]
            analyzed = [item for worker in workers for item in worker.result()]
            return analyzed, stack.result()
        finally:
            stop.set()  # on an error or Ctrl-C the workers finish their current call and stop
            executor.shutdown(wait=True, cancel_futures=True)

    def _remediate_all(
        self, resources: list[dict[str, Any]], index: wire.ResourceIndex, meta: PackMeta
    ) -> tuple[dict[str, dict[str, Any]], list[Violation]]:
        """The engine's first pass: remediations rewrite inputs before Analyze sees them."""
        stub = self._stub(0)
        remediated: dict[str, dict[str, Any]] = {}
        notes: list[Violation] = []
        for resource in resources:
            response = self._call(
                f"Remediate({resource['urn']})", stub.Remediate, wire.analyze_request(resource, index)
            )
            for remediation in response.remediations:
                if remediation.diagnostic:
                    notes.append(
                        self._violation(
                            analyzer_pb2.AnalyzeDiagnostic(
                                policyName=remediation.policyName,
                                policyPackName=remediation.policyPackName,
                                policyPackVersion=remediation.policyPackVersion,
                                description=remediation.description,
                                message=remediation.diagnostic,
                                enforcementLevel=analyzer_pb2.ADVISORY,
                            ),
                            resource,
                            meta,
                        )
                    )
                elif remediation.HasField("properties"):
                    remediated[resource["urn"]] = json_format.MessageToDict(remediation.properties)
        return remediated, notes

    def _violation(self, diagnostic: Any, resource: Mapping[str, Any], meta: PackMeta) -> Violation:
        level = _level(diagnostic.enforcementLevel)
        if level == "remediate":
            level = "mandatory"  # a remediation that still violates is mandatory (the engine's rule)
        policy = meta.policy(diagnostic.policyName)
        description = diagnostic.description
        message = diagnostic.message
        if description and message.startswith(description + "\n"):
            message = message[len(description) + 1 :]
        return Violation(
            pack=diagnostic.policyPackName or meta.name,
            pack_version=self.pack.version or diagnostic.policyPackVersion or meta.version,
            policy=diagnostic.policyName,
            enforcement_level=level,
            urn=resource["urn"],
            type=resource["type"],
            name=wire.urn_name(resource["urn"]),
            message=message.strip() or description,
            description=description,
            severity=_SEVERITY.get(diagnostic.severity) or (policy.severity if policy else None),
            source=_source(resource),
            framework=policy.framework if policy else None,
        )

    # -- gRPC helpers ------------------------------------------------------------------------

    def _call(self, what: str, method: Any, request: Any) -> Any:
        try:
            return method(request, timeout=_CALL_TIMEOUT_S)
        except grpc.RpcError as err:
            raise self._rpc_failure(what, err) from None

    def _optional_call(self, what: str, method: Any, request: Any) -> None:
        """A call the CLI tolerates being UNIMPLEMENTED (older SDKs)."""
        try:
            method(request, timeout=_CALL_TIMEOUT_S)
        except grpc.RpcError as err:
            if cast(grpc.Call, err).code() != grpc.StatusCode.UNIMPLEMENTED:
                raise self._rpc_failure(what, err) from None
            log.debug("%s: not implemented by the pack", what)

    def _rpc_failure(self, what: str, err: grpc.RpcError) -> PolicyPackError:
        details = cast(grpc.Call, err).details() or str(err)
        last = details.strip().splitlines()[-1] if details.strip() else details
        alive = all(a.process.alive() for a in self._analyzers)
        state = "" if alive else " (a pack process has exited)"
        return PolicyPackError(
            f"policy pack {self.pack.path}: {what} failed{state}: {last}; fix the pack (-v shows its traceback)"
        )


def _level(value: int) -> EnforcementLevel:
    try:
        return policy_config.WIRE_TO_LEVEL[value]
    except KeyError:
        raise PolicyPackError(f"policy pack reported an unknown enforcement level {value}") from None


def _policy_meta(policy: Any, config: policy_config.PolicyConfig | None) -> PolicyMeta:
    default = _level(policy.enforcementLevel)
    framework = None
    if policy.HasField("framework") and policy.framework.name:
        f = policy.framework
        framework = ComplianceFramework(f.name, f.version, f.reference, f.specification)
    return PolicyMeta(
        name=policy.name,
        description=policy.description,
        policy_type=cast(Any, _POLICY_TYPE.get(policy.policy_type, "unknown")),
        default_level=default,
        enforcement_level=(config.enforcement_level if config and config.enforcement_level else default),
        display_name=policy.displayName,
        severity=_SEVERITY.get(policy.severity),
        tags=tuple(policy.tags),
        framework=framework,
        remediation_steps=policy.remediation_steps,
        url=policy.url,
        config=dict(config.properties or {}) if config else {},
    )


def _source(resource: Mapping[str, Any]) -> SourceRef | None:
    source = resource.get("source") or {}
    file, line = source.get("file"), source.get("line")
    if not isinstance(file, str) or not file or Path(file).is_absolute() or file.startswith(".."):
        return None
    return SourceRef(file, line if isinstance(line, int) and line > 0 else 1)


def _root(index: wire.ResourceIndex) -> dict[str, Any]:
    return {"urn": index.root_urn, "type": "pulumi:pulumi:Stack", "source": None}


def _shown(path: Path | None, project_dir: Path) -> str:
    if path is None:
        return ""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _check_export_shape(export: Mapping[str, Any], stack: str) -> None:
    if not isinstance(export, Mapping) or not isinstance(export.get("resources"), list):
        raise UsageError(
            "--export: not a finstack plan export (no 'resources' list); write one with finstack preview --json"
        )
    for key in ("project", "stack"):
        if not isinstance(export.get(key), str):
            raise UsageError(f"--export: plan export has no '{key}'; write one with finstack preview --json")
    if export["stack"] != stack:
        raise UsageError(
            f"--export is for stack {export['stack']!r}, not --stack {stack}; pass --stack {export['stack']}"
        )
    for position, resource in enumerate(export["resources"]):
        if not isinstance(resource, Mapping) or not {"urn", "type"} <= resource.keys():
            raise UsageError(f"--export: resource #{position} has no urn/type; regenerate the export")


def stack_tags(files: StackFiles) -> dict[str, str]:
    """The stack tags the CLI sends in ConfigureStack (project, runtime, description, `pulumi:tags`)."""
    project_doc: dict[str, Any] = {}
    try:
        loaded = yaml.safe_load((files.project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
        project_doc = loaded if isinstance(loaded, dict) else {}
    except (OSError, yaml.YAMLError):
        pass
    runtime = project_doc.get("runtime")
    tags = {
        "pulumi:project": files.project,
        "pulumi:runtime": str(runtime.get("name") if isinstance(runtime, dict) else runtime or ""),
        "pulumi:description": str(project_doc.get("description") or ""),
    }
    project_tags = (project_doc.get("config") or {}).get("pulumi:tags")
    if isinstance(project_tags, dict) and "value" in project_tags:
        project_tags = project_tags["value"]
    for source in (project_tags, files.raw_config.get("pulumi:tags")):
        if isinstance(source, dict):
            tags.update({str(k): str(v) for k, v in source.items()})
    return {k: v for k, v in tags.items() if v}
