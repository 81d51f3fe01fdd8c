"""Start a Python policy pack the way the Pulumi CLI does, and always stop it.

For a `runtime: python` pack the CLI runs the `pulumi-analyzer-policy-python` shim with the
pack directory as working directory and the arguments `<engine-address> .`; the shim runs
`python -u -m pulumi.policy <engine-address> .`, which sets up the runtime from the
environment (`PULUMI_CONFIG`, `PULUMI_PROJECT`, `PULUMI_STACK`, `PULUMI_DRY_RUN`,
`PULUMI_ORGANIZATION`) and runs the pack's `__main__.py`. `PolicyPack(...)` then serves the
Analyzer service on 127.0.0.1 and writes the port as the first line of stdout. A pack that
prints anything before that line fails under the CLI, and fails here the same way.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from finstack.errors import UsageError

log = logging.getLogger(__name__)
pack_log = logging.getLogger("finstack.check.pack")

PACK_FILE = "PulumiPolicy.yaml"

# Importing the SDK and the rules takes well under a second here; a cold CI machine with a
# big pack is slower. Past this the pack is taken to be hung.
STARTUP_TIMEOUT_S = 60.0
# How long a terminated pack gets to exit before it is killed.
STOP_GRACE_S = 5.0


class PolicyPackError(UsageError):
    """The policy pack could not be started or failed while answering (exit status 2)."""


@dataclass(frozen=True)
class PackDirectory:
    """A policy pack folder and what its PulumiPolicy.yaml says."""

    path: Path
    runtime: str
    version: str = ""
    description: str = ""
    runtime_options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> PackDirectory:
        """Read `path/PulumiPolicy.yaml`; UsageError naming the fix when it is missing or not Python."""
        if not path.is_dir():
            raise UsageError(f"--policy-pack {path}: no such directory; pass the folder holding {PACK_FILE}")
        manifest = path / PACK_FILE
        if not manifest.is_file():
            raise UsageError(f"--policy-pack {path}: no {PACK_FILE}; pass a CrossGuard policy pack folder")
        try:
            doc = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise UsageError(f"{manifest}: not valid YAML ({str(err).splitlines()[0]}); fix the syntax") from None
        if not isinstance(doc, dict):
            raise UsageError(f"{manifest}: expected a mapping with 'runtime:'")
        runtime = doc.get("runtime")
        name = runtime.get("name") if isinstance(runtime, dict) else runtime
        options = (runtime.get("options") or {}) if isinstance(runtime, dict) else {}
        if name != "python":
            raise UsageError(f"{manifest}: runtime {name!r} is not supported; finstack check runs Python packs")
        if not (path / "__main__.py").is_file():
            raise UsageError(f"--policy-pack {path}: no __main__.py; the pack's entry point is missing")
        version = doc.get("version")
        return cls(
            path=path.resolve(),
            runtime="python",
            version=str(version) if version is not None else "",
            description=str(doc.get("description") or ""),
            runtime_options=options if isinstance(options, dict) else {},
        )

    def python(self) -> str:
        """The interpreter: the pack's `virtualenv` option when that venv exists, else finstack's own."""
        venv = self.runtime_options.get("virtualenv")
        if isinstance(venv, str) and venv:
            candidate = (self.path / venv / "bin" / "python").resolve()
            if candidate.is_file():
                return str(candidate)
            log.debug("pack virtualenv %s not found; using %s", candidate, sys.executable)
        return sys.executable


class PackProcess:
    """The running pack: spawned in its own process group, port read from stdout, always stopped.

    Use as a context manager; leaving it (normally, on an exception or on Ctrl-C) terminates
    the process group, then kills it if it does not exit within STOP_GRACE_S.
    """

    def __init__(self, pack: PackDirectory, engine_address: str, env: Mapping[str, str]) -> None:
        self.pack = pack
        self.command = [pack.python(), "-u", "-m", "pulumi.policy", engine_address, "."]
        self._env = dict(env)
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._threads: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        """The pack's process id once started."""
        return self._proc.pid if self._proc else None

    def __enter__(self) -> PackProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Spawn the pack; returns at once (the port is read by `wait_for_port`)."""
        log.debug("starting policy pack: %s (cwd %s)", " ".join(self.command), self.pack.path)
        self._proc = subprocess.Popen(
            self.command,
            cwd=self.pack.path,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Own process group: a Ctrl-C reaches finstack, which stops the pack in order.
            start_new_session=True,
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._threads = [
            threading.Thread(target=self._read_stdout, args=(self._proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(self._proc.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self, stream: IO[bytes]) -> None:
        first = True
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if first:
                self._port.put(line)
                first = False
            else:
                pack_log.info("%s", line)
        if first:
            self._port.put(None)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._stderr.append(line)
            pack_log.debug("%s", line)

    def stderr_tail(self, lines: int = 20) -> list[str]:
        """The last lines the pack wrote to stderr (its traceback, when it crashed)."""
        return list(self._stderr)[-lines:]

    def wait_for_port(self, timeout: float = STARTUP_TIMEOUT_S) -> int:
        """The port the pack serves on; PolicyPackError when it exits or prints something else."""
        try:
            line = self._port.get(timeout=timeout)
        except queue.Empty:
            raise PolicyPackError(
                f"policy pack {self.pack.path} printed no port within {timeout:.0f}s; "
                "does __main__.py end with PolicyPack(...)?"
            ) from None
        if line is None:
            self._wait_exit(2.0)
            raise PolicyPackError(f"policy pack {self.pack.path} exited before serving: {self._failure_summary()}")
        try:
            return int(line.strip())
        except ValueError:
            raise PolicyPackError(
                f"policy pack {self.pack.path}: first line of stdout must be the port, got {line[:80]!r}; "
                "do not print to stdout before PolicyPack(...) (the Pulumi CLI fails the same way)"
            ) from None

    def _wait_exit(self, timeout: float) -> None:
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=timeout)

    def _failure_summary(self) -> str:
        tail = [line for line in self.stderr_tail() if line.strip()]
        code = self._proc.returncode if self._proc else None
        last = tail[-1].strip() if tail else "no output on stderr"
        return f"{last} (exit status {code}; run with -v for its stderr)"

    def alive(self) -> bool:
        """True while the pack process runs."""
        return self._proc is not None and self._proc.poll() is None

    def terminate(self) -> None:
        """Ask the pack's process group to exit (SIGTERM) and return; `stop` waits for it."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)

    def stop(self) -> None:
        """Terminate the pack's process group; kill it if it outlives STOP_GRACE_S. Idempotent."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self.terminate()
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
        for thread in self._threads:
            thread.join(timeout=STOP_GRACE_S)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        log.debug("policy pack %s stopped (exit status %s)", proc.pid, proc.returncode)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def pack_environment(
    project: str, stack: str, config: Mapping[str, str], organization: str = "organization"
) -> dict[str, str]:
    """The pack's environment as the CLI's constructEnv builds it: ours plus the stack's identity."""
    env = dict(os.environ)
    env.update(
        {
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true",  # `finstack check` is a preview
            "PULUMI_ORGANIZATION": organization,
        }
    )
    if config:
        env["PULUMI_CONFIG"] = json.dumps(dict(config))
    else:
        env.pop("PULUMI_CONFIG", None)
    return env
