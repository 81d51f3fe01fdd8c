"""Fault injection through botocore's event hooks: throttling, 5xx, timeouts and crashes at any call.

`before-call` handlers may answer in place of AWS (botocore then never sends the request): that is
how throttling and 5xx answers are injected. A `ConnectTimeoutError` raised there is a request that
never left; a `ReadTimeoutError` raised in `after-call` is one AWS applied but whose answer was lost
(the "may have happened" case). `Crash` is a `BaseException`, so nothing in the drill catches it:
the run stops where it is, as a killed process would, and the journal shows the step in flight.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

KINDS = ("throttle", "5xx", "connect-timeout", "read-timeout-after")
#: Operations that change something: a crash after one of them is a different case from a crash before.
MUTATING = frozenset(
    {
        "SwitchoverGlobalCluster",
        "FailoverGlobalCluster",
        "RemoveFromGlobalCluster",
        "UpdateNodegroupConfig",
        "TagResource",
        "UntagResource",
        "UpdateRoutingControlState",
        "UpdateHealthCheck",
        "ExecuteStatement",
    }
)


class Crash(BaseException):
    """The drill process dies here."""


def _answer(status: int, code: str) -> tuple[AWSResponse, dict[str, Any]]:
    body = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"RequestId": f"injected-{code.lower()}", "HTTPStatusCode": status},
    }
    return AWSResponse("https://injected.invalid", status, {}, None), body


@dataclass
class EveryCallFails:
    """The first attempt of every distinct request fails with `kind`; repeating it goes through.

    Distinct = operation, endpoint and body: a poll repeating the same read fails once, and a change
    the drill re-issues after verifying it did not happen is let through, as AWS would on a retry.
    """

    kind: str
    injected: int = 0
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    operations: list[str] = field(default_factory=list)
    _lose_answer: bool = False

    def hooks(self) -> list[tuple[str, Callable[..., Any]]]:
        """The (event, handler) pairs to register on every drill session."""
        return [("before-call", self.before), ("after-call", self.after)]

    def _should_fail(self, model: Any, params: dict[str, Any]) -> bool:
        body = params.get("body", b"")
        key = (model.name, str(params.get("url", "")), body.decode() if isinstance(body, bytes) else str(body))
        if key in self.seen:
            return False
        self.seen.add(key)
        self.injected += 1
        return True

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        """Fail before sending (throttling, 5xx, a connection that never opened), or mark the answer as lost."""
        if not self._should_fail(model, params):
            return None
        self.operations.append(model.name)
        if self.kind == "read-timeout-after":
            self._lose_answer = True
            return None
        if self.kind == "throttle":
            return _answer(400, "ThrottlingException")
        if self.kind == "5xx":
            return _answer(503, "ServiceUnavailable")
        raise ConnectTimeoutError(endpoint_url=f"https://{model.service_model.endpoint_prefix}.invalid")

    def after(self, model: Any, **_: Any) -> None:
        """Lose the answer of a request AWS already applied."""
        if self._lose_answer:
            self._lose_answer = False
            raise ReadTimeoutError(endpoint_url=f"https://{model.service_model.endpoint_prefix}.invalid")


@dataclass
class CrashAt:
    """Crash at the `index`-th request (1-based), before it is sent or after it was applied."""

    index: int
    after_send: bool = False
    seen: int = 0
    crashed_on: str | None = None

    def hooks(self) -> list[tuple[str, Callable[..., Any]]]:
        """The (event, handler) pairs to register on every drill session."""
        return [("before-call", self.before), ("after-call", self.after)]

    def before(self, model: Any, **_: Any) -> None:
        """Count requests; die before sending the chosen one."""
        self.seen += 1
        if self.seen == self.index and not self.after_send:
            self.crashed_on = model.name
            raise Crash(f"crash before {model.name} (request {self.index})")

    def after(self, model: Any, **_: Any) -> None:
        """Die after the chosen request was applied, before its answer is used."""
        if self.seen == self.index and self.after_send:
            self.crashed_on = model.name
            raise Crash(f"crash after {model.name} (request {self.index})")


@dataclass
class Recorder:
    """Counts the requests of a fault-free run (and which are mutating)."""

    operations: list[str] = field(default_factory=list)

    def hooks(self) -> list[tuple[str, Callable[..., Any]]]:
        """The (event, handler) pair to register."""
        return [("before-call", self.before)]

    def before(self, model: Any, **_: Any) -> None:
        """Record one request."""
        self.operations.append(model.name)


_TIMES = re.compile(rb"(StartTime|EndTime)[\"=:]+\s*[\"']?[^&,}\"']+")


def signature(model: Any, params: dict[str, Any]) -> tuple[str, str, bytes]:
    """What makes a request the same request in another run: operation, URL and body (times ignored)."""
    body = params.get("body", b"")
    raw = body if isinstance(body, bytes) else str(body).encode()
    return model.name, str(params.get("url", "")), _TIMES.sub(rb"\1", raw)


Key = tuple[str | None, str, str, bytes, int]


@dataclass
class CrashChain:
    """Across the runs of one drill: crash before (or after) every distinct request, once each.

    A request is identified by the step making it, its operation, URL and body, and how many times
    that same request was made earlier in the run (the 3rd poll of a step is not its 1st). Each run
    (the first, then every resume) passes the requests already crashed at and dies at the first new
    one, so the drill is crashed at every request it makes, the re-verification reads of its resumed
    runs included. `step_of` reads the step the drill is in (bound by the test to its gateway).
    Between runs (`between_runs`, while a new process assumes the automation role and before it
    has a journal to resume) nothing is crashed at: a crash there leaves nothing to resume, the
    operator simply starts the command again.
    """

    after_send: bool = False
    only: frozenset[str] | None = None
    crashed: list[Key] = field(default_factory=list)
    step_of: Callable[[], str | None] | None = None
    _counts: dict[tuple[str | None, str, str, bytes], int] = field(default_factory=dict)
    _pending: Key | None = None

    def hooks(self) -> list[tuple[str, Callable[..., Any]]]:
        """The (event, handler) pairs to register on every drill session of the chain."""
        return [("before-call", self.before), ("after-call", self.after)]

    def new_run(self, step_of: Callable[[], str | None]) -> None:
        """A new run (a resumed process) starts: occurrence counts start again."""
        self._counts.clear()
        self._pending = None
        self.step_of = step_of

    def between_runs(self) -> None:
        """The previous run died; the next one is being set up (not yet bound by `new_run`)."""
        self.step_of = None

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        """Die before the first request this chain has not crashed at yet (or mark it, for after-send)."""
        if self.step_of is None:
            return
        base = (self.step_of(), *signature(model, params))
        self._counts[base] = self._counts.get(base, 0) + 1
        key = (*base, self._counts[base])
        if key in self.crashed or (self.only is not None and model.name not in self.only):
            return
        self.crashed.append(key)
        if self.after_send:
            self._pending = key
            return
        raise Crash(f"crash before {model.name} in {base[0]}")

    def after(self, model: Any, **_: Any) -> None:
        """Die after the marked request was applied, before its answer is used."""
        if self._pending is not None:
            self._pending = None
            raise Crash(f"crash after {model.name}")
