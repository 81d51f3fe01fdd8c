"""The emulator's admin HTTP API (``/_finstack/...``): fault injection, time and the write model.

A WSGI middleware in front of moto's server app; anything outside ``/_finstack/`` goes to moto.
Bodies and answers are JSON. The account is moto's default unless the request carries
``x-moto-account-id`` (moto's own convention).

======  ==========================================  ===============================================
Method  Path                                        Effect
======  ==========================================  ===============================================
GET     /_finstack/health                           liveness and installed extensions
GET     /_finstack/clock                            ``{"now", "kind"}``
POST    /_finstack/clock/advance                    ``{"seconds"}``; virtual clock only (else 409)
GET     /_finstack/health-checks/<id>               ``{"healthy"}`` (calculated checks included)
POST    /_finstack/health-checks/<id>               ``{"healthy": bool}``: inject endpoint health
GET     /_finstack/writes/<global-cluster-id>       write model snapshot, ``writableRegions``,
                                                    completed operations with their lost writes
POST    /_finstack/writes/<global-cluster-id>/lag   ``{"region", "seconds"}`` (null pauses)
POST    /_finstack/writes/<global-cluster-id>/cancel  cancel the in-flight switchover/failover
POST    /_finstack/replicators/lag                  ``{"replicatorArn", "latencyMs", "messageLag"}``
======  ==========================================  ===============================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import ServiceException

from finstack.emulator.moto_ext import aurora, kafka_replicator, route53_health
from finstack.emulator.moto_ext._install import is_installed
from finstack.emulator.moto_ext.clock import VirtualClock, get_clock

PREFIX = "/_finstack/"

StartResponse = Callable[..., Any]
Handler = Callable[[str, dict[str, Any], re.Match[str]], tuple[int, Any]]


class AdminError(Exception):
    """An admin request that cannot be served; `status` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _health(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    return 200, {"ok": True, "extensionsInstalled": is_installed()}


def _clock(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    clock = get_clock()
    return 200, {"now": clock.now(), "kind": "virtual" if isinstance(clock, VirtualClock) else "monotonic"}


def _advance(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    clock = get_clock()
    if not isinstance(clock, VirtualClock):
        raise AdminError(409, "the emulator runs on wall-clock time; only a virtual clock can be advanced")
    return 200, {"now": clock.advance(float(body.get("seconds", 0)))}


def _get_health(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    return 200, {"healthCheckId": match["id"], "healthy": route53_health.health_check_status(match["id"], account)}


def _set_health(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    if not isinstance(body.get("healthy"), bool):
        raise AdminError(400, 'body must be {"healthy": true|false}')
    route53_health.set_endpoint_health(match["id"], body["healthy"], account)
    return 200, {"healthCheckId": match["id"], "healthy": body["healthy"]}


def _writes(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    gc_id = match["id"]
    snapshot = aurora.global_database(gc_id, account).snapshot()
    snapshot["writableRegions"] = aurora.writable_regions(gc_id, account)
    snapshot["detached"] = [db.snapshot() for db in aurora.lineage(gc_id, account)[1:]]
    snapshot["completedOperations"] = [
        asdict(op) for op in aurora.completed_operations(account) if op.global_cluster_id == gc_id
    ]
    return 200, snapshot


def _lag(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    if "region" not in body or "seconds" not in body:
        raise AdminError(400, 'body must be {"region": "...", "seconds": <number or null>}')
    seconds = body["seconds"]
    aurora.set_replication_lag(match["id"], body["region"], None if seconds is None else float(seconds), account)
    return 200, {"region": body["region"], "seconds": seconds}


def _cancel(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    aurora.cancel_operation(match["id"], account)
    return 200, {"cancelled": match["id"]}


def _replicator_lag(account: str, body: dict[str, Any], match: re.Match[str]) -> tuple[int, Any]:
    if "replicatorArn" not in body:
        raise AdminError(400, 'body must name "replicatorArn"')
    kafka_replicator.set_replicator_lag(
        body["replicatorArn"], latency_ms=body.get("latencyMs"), message_lag=body.get("messageLag"), account_id=account
    )
    return 200, {"replicatorArn": body["replicatorArn"]}


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"^health$"), _health),
    ("GET", re.compile(r"^clock$"), _clock),
    ("POST", re.compile(r"^clock/advance$"), _advance),
    ("GET", re.compile(r"^health-checks/(?P<id>[^/]+)$"), _get_health),
    ("POST", re.compile(r"^health-checks/(?P<id>[^/]+)$"), _set_health),
    ("GET", re.compile(r"^writes/(?P<id>[^/]+)$"), _writes),
    ("POST", re.compile(r"^writes/(?P<id>[^/]+)/lag$"), _lag),
    ("POST", re.compile(r"^writes/(?P<id>[^/]+)/cancel$"), _cancel),
    ("POST", re.compile(r"^replicators/lag$"), _replicator_lag),
]


class AdminMiddleware:
    """Serve ``/_finstack/`` here and pass every other request to `app` (moto)."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """WSGI entry point."""
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        status, payload = self._serve(environ, path[len(PREFIX) :])
        data = json.dumps(payload, default=str).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict"}
        start_response(
            f"{status} {reason.get(status, 'Error')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]

    def _serve(self, environ: dict[str, Any], route: str) -> tuple[int, Any]:
        method = environ.get("REQUEST_METHOD", "GET")
        account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID
        allowed = []
        for route_method, pattern, handler in ROUTES:
            match = pattern.match(route)
            if match is None:
                continue
            if route_method != method:
                allowed.append(route_method)
                continue
            try:
                return handler(account, self._body(environ), match)
            except AdminError as error:
                return error.status, {"error": str(error)}
            except (ServiceException, ValueError, KeyError) as error:
                code = getattr(error, "code", "")
                missing = isinstance(error, KeyError) or "NotFound" in code or "NoSuch" in code
                return (404 if missing else 400), {"error": str(error)}
        if allowed:
            return 405, {"error": f"{method} not allowed on {route!r}; use {', '.join(allowed)}"}
        return 404, {"error": f"no admin route {route!r}"}

    @staticmethod
    def _body(environ: dict[str, Any]) -> dict[str, Any]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if not length:
            return {}
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        except json.JSONDecodeError as error:
            raise AdminError(400, f"body is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise AdminError(400, "body must be a JSON object")
        return body
