"""The local emulator server: moto's server app with finstack's extensions, on loopback only.

Drills and ``finstack up --emulate`` talk to it with plain boto3 and
``AWS_ENDPOINT_URL=http://127.0.0.1:<port>`` (any fake credentials); the admin API
(`finstack.emulator.moto_ext.admin`) is on the same port under ``/_finstack/``.

It is moto's `ThreadedMotoServer` recipe — `DomainDispatcherApplication` over `create_backend_app`,
a threaded werkzeug server with `MotoRequestHandler` — with the admin middleware in front, the
extensions installed first, and a loopback-only bind: the emulator holds no secrets, but it
accepts any credentials and must not be reachable from the network.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import urllib.request
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from finstack.emulator.moto_ext._install import install
from finstack.emulator.moto_ext.admin import AdminMiddleware
from finstack.emulator.moto_ext.atomic_requests import serialised
from finstack.emulator.moto_ext.clock import Clock, set_clock

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
#: LocalStack's port, which tools and habits already point at.
DEFAULT_PORT = 4566


class _QuietRequestHandler(MotoRequestHandler):
    """moto's handler without werkzeug's one-line-per-request access log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Drop the access log line; errors are still logged."""


def _check_loopback(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the emulator binds to loopback only (127.0.0.1, ::1 or localhost), not {host!r}")


def _configure_moto_for_the_platform() -> None:
    """AWS-managed IAM policies exist in the server's account too (node roles attach them).

    (The service allow-list of `restricted_mock_aws` guards outgoing botocore calls in-process;
    a server makes no outgoing calls.)
    """
    from moto.core.config import default_user_config

    default_user_config["iam"]["load_aws_managed_policies"] = True


class EmulatorServer:
    """A running emulator: its endpoint URL, an admin client, and `stop()`."""

    def __init__(
        self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, clock: Clock | None = None, access_log: bool = False
    ) -> None:
        _check_loopback(host)
        self._access_log = access_log
        self._host = host
        self._port = port
        self._clock = clock
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        """Install the extensions, bind, and serve on a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the emulator server is already running")
        install()
        _configure_moto_for_the_platform()
        if self._clock is not None:
            set_clock(self._clock)
        # Threads answer requests, but moto's state is not thread-safe: one request at a time.
        app = serialised(AdminMiddleware(DomainDispatcherApplication(create_backend_app)))
        self._server = make_server(
            self._host,
            self._port,
            app,
            threaded=True,
            request_handler=MotoRequestHandler if self._access_log else _QuietRequestHandler,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="finstack-emulator", daemon=True)
        self._thread.start()
        log.info("emulator listening on %s", self.endpoint_url)
        return self

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        return int(self._server.server_address[1])

    @property
    def endpoint_url(self) -> str:
        """What to put in ``AWS_ENDPOINT_URL``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def admin(self) -> AdminClient:
        """A client for the ``/_finstack/`` admin API of this server."""
        return AdminClient(self.endpoint_url)

    def stop(self) -> None:
        """Stop serving and wait for the server thread (emulated state is kept in-process)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start() if self._server is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_server(
    port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, clock: Clock | None = None, access_log: bool = False
) -> EmulatorServer:
    """Start the emulator on `host`:`port` (port 0 picks a free one) and return it running.

    `clock` replaces the process-wide emulator clock (default: wall-clock time).
    """
    return EmulatorServer(host=host, port=port, clock=clock, access_log=access_log).start()


def serve(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> None:
    """Run the emulator in the foreground until interrupted (``finstack emulator serve``)."""
    server = start_server(port=port, host=host, access_log=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        log.info("emulator stopping")
    finally:
        server.stop()


class AdminClient:
    """Tiny JSON client for the admin API (fault injection, clock, write model)."""

    def __init__(self, endpoint_url: str, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call ``/_finstack/<path>``; raises `urllib.error.HTTPError` on a non-2xx answer."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.endpoint_url}/_finstack/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read())

    def set_endpoint_health(self, health_check_id: str, healthy: bool) -> None:
        """Inject the health of an endpoint health check."""
        self.request("POST", f"health-checks/{health_check_id}", {"healthy": healthy})

    def health_check_status(self, health_check_id: str) -> bool:
        """Whether a health check is healthy (calculated checks included)."""
        return bool(self.request("GET", f"health-checks/{health_check_id}")["healthy"])

    def advance_clock(self, seconds: float) -> float:
        """Advance the server's virtual clock."""
        return float(self.request("POST", "clock/advance", {"seconds": seconds})["now"])

    def writes(self, global_cluster_id: str) -> dict[str, Any]:
        """The write model of a global cluster, with ``writableRegions``."""
        return dict(self.request("GET", f"writes/{global_cluster_id}"))

    def set_replication_lag(self, global_cluster_id: str, region: str, seconds: float | None) -> None:
        """Set (or pause with None) the replication lag to `region`."""
        self.request("POST", f"writes/{global_cluster_id}/lag", {"region": region, "seconds": seconds})

    def set_replicator_lag(
        self, replicator_arn: str, latency_ms: float | None = None, message_lag: int | None = None
    ) -> None:
        """Set the lag an MSK replicator reports in CloudWatch."""
        self.request(
            "POST",
            "replicators/lag",
            {"replicatorArn": replicator_arn, "latencyMs": latency_ms, "messageLag": message_lag},
        )
