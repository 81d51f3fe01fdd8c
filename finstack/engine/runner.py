"""Run the real stack program (`Pulumi.yaml`'s `main`) in-process under Pulumi's mock runtime.

No Pulumi CLI, no credentials, no network. Each run gets a fresh `contextvars.Context` and
event loop, so runs are independent (the SDK keeps its settings in context variables).
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import heapq
import runpy
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import Mocks, set_mocks
from pulumi.runtime.stack import run_pulumi_func

from finstack.engine.fake_cloud import FakeCloud
from finstack.engine.reachability import ClusterUnreachableError
from finstack.engine.recording import RecordingMonitor, ResourceRecord
from finstack.errors import ProgramError, UsageError
from finstack.project import StackFiles
from infra.config import StackConfig


@dataclass(frozen=True)
class ProgramRun:
    """What one offline run of the program produced."""

    project: str
    stack: str
    config: StackConfig
    records: tuple[ResourceRecord, ...]
    outputs: dict[str, Any]
    program_dir: Path


def program_dir_of(files: StackFiles) -> Path:
    """The directory `Pulumi.yaml`'s `main` points at (default: the project directory)."""
    doc = yaml.safe_load((files.project_dir / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    main = doc.get("main") or "."
    path = (files.project_dir / main).resolve()
    if not (path / "__main__.py").is_file():
        raise UsageError(f"Pulumi.yaml: main: {main} has no __main__.py; point main at the program directory")
    return path


def run_program(files: StackFiles, mocks: Mocks | None = None, preview: bool = True) -> ProgramRun:
    """Validate the stack's config (nothing is declared when it is invalid), then run the program."""
    config = files.validated()
    program_dir = program_dir_of(files)
    fake = mocks or FakeCloud(default_region=config.aws_region)
    return contextvars.Context().run(_run_isolated, files, config, fake, program_dir, preview)


def _run_isolated(
    files: StackFiles,
    config: StackConfig,
    mocks: Mocks,
    program_dir: Path,
    preview: bool,
) -> ProgramRun:
    def program() -> None:
        runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")

    records, outputs = _run_under_mocks(
        program, files.project, files.stack, files.pulumi_config(), mocks, config.aws_region, preview
    )
    return ProgramRun(files.project, files.stack, config, records, outputs, program_dir)


def run_callable(
    func: Callable[[], None],
    config: StackConfig,
    mocks: Mocks | None = None,
    project: str = "finstack",
    stack: str = "test",
    preview: bool = True,
) -> ProgramRun:
    """Run `func` (e.g. one component with literal inputs) like a program: for unit tests."""
    fake = mocks or FakeCloud(default_region=config.aws_region)
    records, outputs = contextvars.Context().run(
        _run_under_mocks, func, project, stack, {}, fake, config.aws_region, preview
    )
    return ProgramRun(project, stack, config, records, outputs, Path.cwd())


def _run_under_mocks(
    func: Callable[[], None],
    project: str,
    stack: str,
    config_bag: dict[str, str],
    mocks: Mocks,
    default_region: str,
    preview: bool,
) -> tuple[tuple[ResourceRecord, ...], dict[str, Any]]:
    region_of = getattr(mocks, "region_of", None)
    loop = asyncio.new_event_loop()
    executor = _LoopPerThreadExecutor()
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        pulumi_config.set_all_config(config_bag, [])
        monitor = RecordingMonitor(mocks)
        set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
        # The SDK's pending-outputs set is a context property whose default is one process-wide
        # set: a run that failed midway leaves tasks of its (closed) loop there, and the next run
        # would await them. Every run gets its own.
        pulumi_settings.SETTINGS.outputs = set()

        async def program() -> None:
            func()

        try:
            loop.run_until_complete(run_pulumi_func(program))
        except (pulumi.RunError, ClusterUnreachableError) as err:
            # Unreachable: what the Kubernetes provider reports on AWS, as one line, not a traceback.
            raise ProgramError(str(err)) from None
        except ValueError as err:
            # Components refuse impossible inputs with ValueError; the SDK wraps it once per
            # enclosing input and resource ("... has risen: ..."): the last line is the cause.
            cause = str(err).strip().splitlines()[-1].removeprefix("ValueError has risen: ")
            raise ProgramError(cause) from err
        outputs = loop.run_until_complete(_stack_outputs())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        executor.close()
        # Collect the run's tasks, coroutines and gRPC objects now: left for a later, random GC
        # pass, their finalizers can run inside the parser of an unrelated import and trip
        # CPython 3.11's "AST constructor recursion depth mismatch" (gh-106905).
        gc.collect()
    records = _ordered(list(monitor.records.values()))
    for record in records:
        record.region = _region(record, region_of, default_region)
    return tuple(records), outputs


def _region(
    record: ResourceRecord, region_of: Callable[[dict[str, Any], str | None], str] | None, default_region: str
) -> str | None:
    """The region of an AWS resource or provider (None for anything else)."""
    if record.type.startswith("pulumi:providers:aws"):
        return record.inputs.get("region") or default_region
    if record.type.startswith("aws:"):
        return region_of(record.inputs, record.provider) if region_of else default_region
    return record.region


class _LoopPerThreadExecutor(ThreadPoolExecutor):
    """The run loop's default executor: each thread gets an event loop, closed with the executor.

    The SDK sends every registration from an executor thread, and under mocks the monitor
    `_sync_await`s there, which gives that thread an event loop (`_ensure_event_loop`) that
    nothing closes. Each run then left one open loop per thread (a socket pair and an epoll
    descriptor) to the garbage collector, whose late finalizers fail noisily ("Invalid file
    descriptor: -1"). A loop set up front is the one the SDK finds and uses, and the run closes it.
    """

    def __init__(self) -> None:
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()
        super().__init__(thread_name_prefix="finstack-registration", initializer=self._give_thread_a_loop)

    def _give_thread_a_loop(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        with self._loops_lock:
            self._loops.append(loop)

    def close(self) -> None:
        """Wait for the threads to finish, then close their loops."""
        self.shutdown(wait=True, cancel_futures=True)
        with self._loops_lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()


async def _stack_outputs() -> dict[str, Any]:
    root = pulumi_settings.get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
    resolved: dict[str, Any] = {}
    for name in sorted(exported):
        resolved[name] = await pulumi.Output.from_input(exported[name]).future()
    return resolved


def _ordered(records: list[ResourceRecord]) -> list[ResourceRecord]:
    """Parents and dependencies before dependants, ties by URN: stable across runs.

    The SDK registers from a thread pool, so arrival order is not deterministic.
    """
    by_urn = {r.urn: r for r in records}
    before: dict[str, set[str]] = {r.urn: set() for r in records}
    for record in records:
        for dep in [record.parent, record.provider_urn, *record.dependencies]:
            if dep and dep in by_urn and dep != record.urn:
                before[record.urn].add(dep)
    dependants: dict[str, list[str]] = {urn: [] for urn in by_urn}
    for urn, deps in before.items():
        for dep in deps:
            dependants[dep].append(urn)
    ready = [urn for urn, deps in before.items() if not deps]
    heapq.heapify(ready)
    ordered: list[ResourceRecord] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for child in dependants[urn]:
            before[child].discard(urn)
            if not before[child]:
                heapq.heappush(ready, child)
    if len(ordered) != len(records):  # a cycle cannot happen in a Pulumi graph; keep everything anyway
        seen = {r.urn for r in ordered}
        ordered.extend(sorted((r for r in records if r.urn not in seen), key=lambda r: r.urn))
    return ordered
