"""Where the emulated AWS account lives: in this process, or a running `finstack emulator serve`.

When `AWS_ENDPOINT_URL` points at a running emulator, every `--emulate` command uses it, so
state persists across commands (up, then drill, then destroy). Otherwise an in-process
emulator starts and lives as long as this process (tests, `make demo`).
"""

from __future__ import annotations

import atexit
import os
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from finstack.emulator.gateway import AwsGateway
from finstack.emulator.state import DeployState
from finstack.errors import UsageError

# Credentials that only the emulator accepts; never real ones.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "finstack-emulator",
    "AWS_SECRET_ACCESS_KEY": "finstack-emulator",
    "AWS_SESSION_TOKEN": "finstack-emulator",
}


@dataclass
class EmulatorSession:
    """A started emulator: its endpoint (or "in-process") and a gateway to it.

    An in-process emulator's deployments live on the session: they die with its moto state.
    """

    endpoint: str
    gateway: AwsGateway
    in_process: bool
    deployments: dict[str, DeployState] = field(default_factory=dict)


class _ProcessEmulator:
    """The one emulator of this process (moto's in-process mock is process-wide too)."""

    lock = threading.Lock()
    current: EmulatorSession | None = None
    mock: Any = None


def _use_fake_credentials() -> None:
    for key, value in FAKE_CREDENTIALS.items():
        os.environ[key] = value
    os.environ.pop("AWS_PROFILE", None)


def _server_reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/moto-api/", timeout=2):
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start() -> EmulatorSession:
    """The emulator session for this process (started once, then reused)."""
    with _ProcessEmulator.lock:
        if _ProcessEmulator.current is not None:
            return _ProcessEmulator.current
        _use_fake_credentials()
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        if endpoint:
            if not _server_reachable(endpoint):
                raise UsageError(
                    f"AWS_ENDPOINT_URL={endpoint}: no emulator answers there; start one with "
                    "`finstack emulator serve --port 4566` or unset AWS_ENDPOINT_URL for an in-process emulator"
                )
            _ProcessEmulator.current = EmulatorSession(endpoint, AwsGateway(endpoint_url=endpoint), in_process=False)
            return _ProcessEmulator.current
        from finstack.emulator.moto_ext import restricted_mock_aws

        # moto limited to the services the platform uses, with a hook that refuses any request
        # bound for a real endpoint; it lives until stop() or the end of the process.
        _ProcessEmulator.mock = restricted_mock_aws()
        _ProcessEmulator.mock.__enter__()
        atexit.register(stop)
        _ProcessEmulator.current = EmulatorSession("in-process", AwsGateway(), in_process=True)
        return _ProcessEmulator.current


def stop() -> None:
    """Stop an in-process emulator (tests); a no-op for a server."""
    with _ProcessEmulator.lock:
        if _ProcessEmulator.mock is not None:
            _ProcessEmulator.mock.__exit__(None, None, None)
        _ProcessEmulator.mock = None
        _ProcessEmulator.current = None
