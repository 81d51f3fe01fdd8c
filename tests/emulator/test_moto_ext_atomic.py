"""One emulated request at a time enters moto, in-process and through the server (moto is not thread-safe)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from moto.core.models import BotocoreStubber
from moto.core.responses import BaseResponse

from finstack.emulator.moto_ext.atomic_requests import serialised
from finstack.emulator.server import EmulatorServer, start_server
from tests.emulator.moto_ext_fixtures import EAST, aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name

THREADS = 4


class Overlap:
    """Counts how many calls are inside a wrapped function at once; each call lingers a little."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self.most = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self._inside += 1
                self.most = max(self.most, self._inside)
            try:
                time.sleep(0.05)  # long enough that unserialised threads would overlap
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self._inside -= 1

        return counted


def _concurrently(call: Callable[[], Any]) -> list[Any]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda _: call(), range(THREADS)))


@pytest.mark.usefixtures("aws")
def test_in_process__concurrent_boto3_calls_enter_moto_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    overlap = Overlap()
    monkeypatch.setattr(BotocoreStubber, "process_request", overlap.wrap(BotocoreStubber.process_request))
    ec2 = boto3.client("ec2", region_name=EAST)

    results = _concurrently(lambda: ec2.describe_network_acls()["NetworkAcls"])

    assert all(isinstance(acls, list) for acls in results)
    assert overlap.most == 1, f"{overlap.most} requests were inside moto at once"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    running = start_server(port=0)
    yield running
    running.stop()


def test_server__concurrent_requests_enter_moto_one_at_a_time(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlap = Overlap()
    monkeypatch.setattr(BaseResponse, "call_action", overlap.wrap(BaseResponse.call_action))
    ec2 = boto3.client(
        "ec2",
        region_name=EAST,
        endpoint_url=server.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    _concurrently(lambda: ec2.describe_vpcs()["Vpcs"])

    assert overlap.most == 1, f"{overlap.most} requests were inside moto at once"


def test_serialised__returns_the_whole_body_and_closes_the_app_iterable() -> None:
    closed: list[bool] = []

    class Body(list[bytes]):
        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("200 OK", [])
        return Body([b"a", b"b"])

    body = serialised(app)({}, lambda *args: None)

    assert b"".join(body) == b"ab"
    assert closed == [True]
