"""Every emulated AWS request is atomic, as every AWS API call is.

moto keeps each service's state in plain dicts and lists and takes no lock of its own. AWS serves
calls concurrently, but each call sees and leaves a consistent state. The emulator is called from
threads in both modes: Pulumi's runtime registers resources from a thread pool (so the emulator
mocks run several boto3 calls at once), and the server answers each HTTP request on its own thread.
Two requests interleaving inside moto break it: CI saw ``dictionary changed size during iteration``
from ``DescribeNetworkAcls`` while a subnet of the same region was being created.

So one request at a time enters moto, in-process (moto's botocore ``before-send`` stubber) and in
the server (`serialised`, which wraps the WSGI app). The lock is `EXTENSION_LOCK`, which the
extensions already take for their own state, so an extension handler running inside a request
re-enters it on the same thread. Nothing inside a request waits for another request, so one lock
cannot deadlock; the cost is nil against moto's per-request time on two cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moto.core.models import BotocoreStubber

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_stock_call = BotocoreStubber.__call__


def _atomic_call(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
    with EXTENSION_LOCK:
        return _stock_call(self, event_name, request, **kwargs)


def serialised(app: WsgiApp) -> WsgiApp:
    """`app` answering one request at a time; the body is read inside the lock, too."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with EXTENSION_LOCK:
            body = app(environ, start_response)
            try:
                return list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

    return serve


def register(installation: Installation) -> None:
    """Make moto's in-process stubber take the request lock (the server wraps its app itself)."""
    installation.patch(BotocoreStubber, "__call__", _atomic_call)
