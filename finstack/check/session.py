"""The engine's half of the analyzer protocol, against a running policy pack.

Call order, as the Pulumi CLI's (plugin loading, then the step generator): Handshake (the
Python SDK answers UNIMPLEMENTED, which the CLI accepts), ConfigureStack, GetAnalyzerInfo,
Configure with the reconciled policy config, then Remediate (only when a policy runs at
`remediate`) and Analyze for every resource, and AnalyzeStack once with all of them.

Where this differs from the CLI, none of it visible in the results:

- the pack may run as several identical processes, each started as the CLI starts one and
  sharing the Analyze calls (the pack's work is GIL-bound, so a process is the unit of
  parallelism);
- with several processes, each one's Configure leaves only its share of the *stack* policies
  enabled (resource policies are configured identically everywhere), and AnalyzeStack goes to
  every process: the SDK runs each stack policy independently and re-reads every resource for
  each, so the shares add up to exactly one AnalyzeStack and its cost is split;
- `connect_in_background()` starts and configures the pack while the program still runs, so
  that only the calls themselves wait for the program's end. (Sending Analyze while the program
  ran, as the engine's step generator does, was tried and measured slower on two cores: from
  this process the sending contends with the program for its GIL; from a relay process, the
  relay and the packs took the program's CPU and slowed it by as much as they saved.)

All are sound because the SDK answers every call from the request and the configuration alone;
benchmarks/check_overhead.py measures what they buy. One session can check many exports (the
pack is configured once), which the mutation tests rely on.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import queue
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
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
    Waiver,
)
from finstack.errors import UsageError
from finstack.project import StackFiles

log = logging.getLogger(__name__)

# Pack processes per session. The pack's work is GIL-bound, so a process is the unit of
# parallelism, but each one costs ~0.3 s of CPU to start (importing the SDK). On two cores
# the program already takes one: one pack finished `finstack check` as fast as two or faster
# (end to end +6 %, +11 %, +17 % over preview against +14 %, +14 %, +17 %: three runs, each
# the median of 8-10 paired rounds), with ~0.3 s less CPU. With a core for each of two packs
# beside the program's, two should halve the pack-bound wait after the program (not
# measurable on the 2-core machines here). benchmarks/check_overhead.py measures both.
DEFAULT_PROCESSES = 2 if (os.cpu_count() or 1) >= 3 else 1
# Calls kept in flight per process: two keep the pack busy (one is answered while the next one
# travels); more only make its serving threads contend for its GIL.
CALLS_PER_PROCESS = 2
# How long `close` waits for a background connect to notice that its packs are gone.
_CONNECTOR_JOIN_S = 5.0
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


@dataclass
class _Analyzer:
    """One running copy of the pack and the stub that speaks to it."""

    process: PackProcess
    channel: grpc.Channel | None = None
    stub: analyzer_pb2_grpc.AnalyzerStub | None = None
    # The stack policies this process runs in AnalyzeStack; None = all of them (not split).
    stack_share: frozenset[str] | None = None


@dataclass
class _Answer:
    """What the pack said about one resource."""

    resource: dict[str, Any]
    response: Any  # AnalyzeResponse
    # Remediate's diagnostics (policies at `remediate` that could not fix the resource).
    notes: list[Any] = field(default_factory=list)


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
        # Unsplit, AnalyzeStack goes to each pack process in turn, so concurrent checks share the work.
        self._stack_turn = itertools.count()
        self._config: dict[str, policy_config.PolicyConfig] = {}
        self._remediating = False
        # connect() runs once, from whichever thread needs the pack first; a failure is kept and re-raised.
        self._connect_lock = threading.Lock()
        self._connect_error: BaseException | None = None
        self._closed = False
        self._connector: threading.Thread | None = None

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
        """Stop the packs, close the channels and the engine service. Safe to call twice."""
        self._closed = True
        for analyzer in self._analyzers:
            analyzer.process.terminate()  # all at once, so that they exit side by side
        for analyzer in self._analyzers:
            analyzer.process.stop()
        if self._connector is not None:
            # With its packs gone a background connect fails at once; it must not hand out a
            # channel after this.
            self._connector.join(timeout=_CONNECTOR_JOIN_S)
        for analyzer in self._analyzers:
            if analyzer.channel is not None:
                analyzer.channel.close()
                analyzer.channel = None
        if self._engine is not None:
            self._engine.stop()
            self._engine = None

    def connect(self) -> PackMeta:
        """Wait for the packs; Handshake, ConfigureStack, GetAnalyzerInfo and Configure each.

        Thread-safe: the first caller does the work, the others wait for it; a failure is
        raised again to every later caller.
        """
        with self._connect_lock:
            if self._meta is not None:
                return self._meta
            if self._connect_error is not None:
                raise self._connect_error
            if self._closed:
                raise PolicyPackError(f"policy pack {self.pack.path}: the session is closed")
            try:
                self._meta = self._connect()
            except BaseException as err:
                self._connect_error = err
                raise
            return self._meta

    def _connect(self) -> PackMeta:
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
        meta, self._config = self._configure(info)
        self._remediating = any(p.enforcement_level == "remediate" for p in meta.policies)
        return meta

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
            shares = _stack_shares(info, config, len(self._analyzers))
            for analyzer, share in zip(self._analyzers, shares, strict=True):
                analyzer.stack_share = share
                per_process = config if share is None else _with_stack_share(config, shares, share)
                request = analyzer_pb2.ConfigureAnalyzerRequest(
                    policyConfig={name: entry.to_wire() for name, entry in per_process.items()}
                )
                assert analyzer.stub is not None
                self._call("Configure", analyzer.stub.Configure, request)
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

    def connect_in_background(self) -> None:
        """Start connecting now, on a daemon thread; the next `connect` (or `check`) waits for it.

        A failure is kept and raised by that call, on the caller's thread.
        """

        def connect_quietly() -> None:
            with contextlib.suppress(BaseException):  # raised again by the next connect()
                self.connect()

        # The processes are spawned here, on the caller's thread, so that `close` always sees
        # every process it has to stop.
        self.start()
        self._connector = threading.Thread(target=connect_quietly, name="pack-connect", daemon=True)
        self._connector.start()

    def check(
        self,
        export: Mapping[str, Any],
        only: Collection[str] | None = None,
    ) -> CheckReport:
        """Analyze the resources of `export` and the stack as a whole; the findings as a report.

        `only` limits Analyze to those URNs (AnalyzeStack always sees every resource): for
        re-checking an export after editing a few resources, as the mutation tests do.
        """
        _check_export_shape(export, self.files.stack)
        index = wire.ResourceIndex(export, self.files.pulumi_config())
        resources = list(index.all_resources())
        meta = self.connect()
        waivers = self._waivers(resources)  # before any Analyze: an ambiguous waiver is bad input
        wanted = None if only is None else set(only)
        selected = resources if wanted is None else [r for r in resources if r["urn"] in wanted]
        todo = [(resource, index.provider_of(resource)) for resource in selected]
        answers, stack_diagnostics = self._analyze(todo, index)
        violations: list[Violation] = []
        for answer in answers:
            # The engine attributes a resource diagnostic to the analyzed resource, whatever URN it names.
            violations.extend(self._violation(d, answer.resource, meta) for d in answer.notes)
            violations.extend(self._violation(d, answer.resource, meta) for d in answer.response.diagnostics)
        everything = {r["urn"]: r for r in resources}
        for diagnostic in stack_diagnostics:
            # Empty or unknown URNs are the stack's, as the engine reports them.
            target = everything.get(diagnostic.urn) or everything.get(index.root_urn) or _root(index)
            violations.append(self._violation(diagnostic, target, meta))
        return CheckReport(
            project=self.files.project,
            stack=self.files.stack,
            packs=(meta,),
            resources_checked=len(selected),
            violations=tuple(sorted(violations, key=_report_order)),
            waivers=waivers,
            config_file=_shown(self.config_file, self.files.project_dir),
            stack_config_file=_shown(self.files.config_file, self.files.project_dir),
        )

    def _waivers(self, resources: list[dict[str, Any]]) -> tuple[Waiver, ...]:
        """The config's waivers, each resolved to the resource it names; ambiguous ones refused."""
        waivers = policy_config.waivers_of(self._config)
        problems = policy_config.ambiguous_waivers(waivers, resources)
        if problems:
            source = _shown(self.config_file, self.files.project_dir) if self.config_file else "policy config"
            raise UsageError("\n".join(f"{source}: {problem}" for problem in problems))
        by_urn = {r["urn"]: r for r in resources}
        by_name: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for resource in resources:
            by_name[wire.urn_name(resource["urn"])].append(resource)
        resolved = []
        for waiver in waivers:
            named = [by_urn[waiver.target]] if waiver.target in by_urn else by_name.get(waiver.target, [])
            named = [r for r in named if not waiver.type or r["type"] == waiver.type]
            if len(named) == 1:
                resolved.append(replace(waiver, urn=named[0]["urn"], source=_source(named[0])))
            else:
                resolved.append(waiver)
        return tuple(resolved)

    def _analyze(
        self, todo: list[tuple[dict[str, Any], wire.ProviderRef | None]], index: wire.ResourceIndex
    ) -> tuple[list[_Answer], list[Any]]:
        """AnalyzeStack on the pack processes while they answer Analyze for `todo`.

        Safe to call from several threads at once (after `connect`): each call has its own calls.
        """
        if any(a.stack_share is not None for a in self._analyzers):
            targets = [position for position, a in enumerate(self._analyzers) if a.stack_share]
        else:
            targets = [next(self._stack_turn) % len(self._analyzers)]
        dispatch = _Dispatch(self)
        try:
            for resource, provider in todo:
                dispatch.send(resource, provider)
            # Built once the Analyze calls are out: the packs answer them meanwhile.
            request = wire.stack_request(index)
            stack_calls = [
                self._stub(position).AnalyzeStack.future(request, timeout=_CALL_TIMEOUT_S) for position in targets
            ]
            answers = dispatch.finish()
            responses = [self._result("AnalyzeStack", call) for call in stack_calls]
        finally:
            dispatch.abort()  # on an error or Ctrl-C the calls still queued are cancelled
        return list(answers.values()), [d for response in responses for d in response.diagnostics]

    def _answer(
        self, stub: analyzer_pb2_grpc.AnalyzerStub, resource: dict[str, Any], provider: wire.ProviderRef | None
    ) -> _Answer:
        """Remediate (when a policy runs at `remediate`: its result is what Analyze sees), then Analyze."""
        notes: list[Any] = []
        properties: dict[str, Any] | None = None
        if self._remediating:
            response = self._call(
                f"Remediate({resource['urn']})", stub.Remediate, wire.analyze_request_with(resource, provider)
            )
            for remediation in response.remediations:
                if remediation.diagnostic:
                    notes.append(
                        analyzer_pb2.AnalyzeDiagnostic(
                            policyName=remediation.policyName,
                            policyPackName=remediation.policyPackName,
                            policyPackVersion=remediation.policyPackVersion,
                            description=remediation.description,
                            message=remediation.diagnostic,
                            enforcementLevel=analyzer_pb2.ADVISORY,
                        )
                    )
                elif remediation.HasField("properties"):
                    properties = json_format.MessageToDict(remediation.properties)
        request = wire.analyze_request_with(resource, provider, properties)
        return _Answer(resource, self._call(f"Analyze({resource['urn']})", stub.Analyze, request), notes)

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

    def _result(self, what: str, call: grpc.Future) -> Any:
        """The response of a call sent as a future (`method.future(...)`)."""
        try:
            return call.result()
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


class _Dispatch:
    """Analyze calls in flight, each sent to the pack process with the fewest unanswered calls.

    Calls are sent at once, from the sending thread (gRPC futures, no thread hand-off): the pack
    queues what it cannot serve yet, so it is never idle for want of a request. A session whose
    policies run at `remediate` needs Remediate's answer before Analyze; those go through
    `_Workers` threads instead. `finish` raises the failure of the earliest resource sent, so
    the error a broken pack produces does not depend on timing.
    """

    def __init__(self, session: AnalyzerSession) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._sent: list[tuple[dict[str, Any], grpc.Future]] = []
        self._unanswered: list[collections.deque[grpc.Future]] = [collections.deque() for _ in range(session.processes)]
        self._workers = _Workers(session) if session._remediating else None

    def send(self, resource: dict[str, Any], provider: wire.ProviderRef | None) -> None:
        """Send Analyze for one resource (with its resolved provider)."""
        if self._workers is not None:
            self._workers.put(resource, provider)
            return
        request = wire.analyze_request_with(resource, provider)
        with self._lock:
            for calls in self._unanswered:
                while calls and calls[0].done():
                    calls.popleft()
            position = min(range(len(self._unanswered)), key=lambda p: len(self._unanswered[p]))
            call = self._session._stub(position).Analyze.future(request, timeout=_CALL_TIMEOUT_S)
            self._unanswered[position].append(call)
            self._sent.append((resource, call))

    def finish(self) -> dict[str, _Answer]:
        """Wait for every call sent; the answers by URN, or the earliest failure raised."""
        with self._lock:
            sent = list(self._sent)
        answers: dict[str, _Answer] = {}
        for resource, call in sent:
            response = self._session._result(f"Analyze({resource['urn']})", call)
            answers[resource["urn"]] = _Answer(resource, response)
        if self._workers is not None:
            answers.update(self._workers.finish())
        return answers

    def abort(self) -> None:
        """Cancel what is still unanswered (the pack may already be gone)."""
        with self._lock:
            for _, call in self._sent:
                call.cancel()
        if self._workers is not None:
            self._workers.abort()


class _Workers:
    """Threads that answer resources as they are `put`, CALLS_PER_PROCESS per pack process.

    For Remediate-then-Analyze, where each resource needs two calls in turn. The first failure
    stops them all; `finish` raises the failure of the earliest resource.
    """

    def __init__(self, session: AnalyzerSession) -> None:
        self._session = session
        self._queue: queue.SimpleQueue[tuple[int, dict[str, Any], wire.ProviderRef | None] | None] = queue.SimpleQueue()
        self._seq = itertools.count()
        self._stop = threading.Event()
        self._errors: list[tuple[int, BaseException]] = []
        self._lock = threading.Lock()
        self.answers: dict[str, _Answer] = {}
        self._threads = [
            threading.Thread(target=self._work, args=(position,), name=f"analyze-{position}", daemon=True)
            for _ in range(CALLS_PER_PROCESS)
            for position in range(session.processes)
        ]
        for thread in self._threads:
            thread.start()

    def put(self, resource: dict[str, Any], provider: wire.ProviderRef | None) -> None:
        """Queue one resource (with its resolved provider)."""
        self._queue.put((next(self._seq), resource, provider))

    def _work(self, position: int) -> None:
        stub = self._session._stub(position)
        while (item := self._queue.get()) is not None:
            if self._stop.is_set():
                continue  # drain to the end marker without calling the pack
            seq, resource, provider = item
            try:
                answer = self._session._answer(stub, resource, provider)
            except BaseException as err:
                with self._lock:
                    self._errors.append((seq, err))
                self._stop.set()
                continue
            with self._lock:
                self.answers[resource["urn"]] = answer

    def finish(self) -> dict[str, _Answer]:
        """Wait for every queued resource; the answers by URN, or the earliest failure raised."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise min(self._errors, key=lambda e: e[0])[1]
        return self.answers

    def abort(self) -> None:
        """Stop after the calls in flight, without waiting (the session's close ends a stuck one)."""
        if not self._stop.is_set():
            self._stop.set()
            for _ in self._threads:
                self._queue.put(None)


def _stack_shares(
    info: Any, config: Mapping[str, policy_config.PolicyConfig], processes: int
) -> list[frozenset[str] | None]:
    """Which enabled stack policies each process runs: round-robin by name, or None each (no split)."""
    if processes < 2 or any(p.policy_type not in _POLICY_TYPE for p in info.policies):
        return [None] * processes  # an older SDK that does not say which policies are stack policies
    enabled = sorted(
        p.name
        for p in info.policies
        if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK and config[p.name].enforcement_level != "disabled"
    )
    if len(enabled) < 2:
        return [None] * processes
    return [frozenset(enabled[position::processes]) for position in range(processes)]


def _with_stack_share(
    config: Mapping[str, policy_config.PolicyConfig],
    shares: list[frozenset[str] | None],
    share: frozenset[str],
) -> dict[str, policy_config.PolicyConfig]:
    """`config` with the enabled stack policies outside `share` disabled (their properties kept)."""
    split = frozenset().union(*(s for s in shares if s))
    return {
        name: policy_config.PolicyConfig("disabled", entry.properties) if name in split - share else entry
        for name, entry in config.items()
    }


def _report_order(violation: Violation) -> tuple[Any, ...]:
    """Violation.sort_key, then every other field: the same report whatever order answers came in."""
    return (*violation.sort_key(), repr(violation))


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
