"""The engine side a policy pack may call back: a minimal Pulumi `Engine` gRPC service.

The CLI starts every analyzer plugin with the address of its engine service as the first
argument. The Python policy SDK (`python -m pulumi.policy <engine> <program>`) does not dial it
today, but a pack that logs through the engine would; so the address handed over is a real one
that forwards `Log` to Python logging and keeps the root resource URN.
"""

from __future__ import annotations

import logging
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

log = logging.getLogger("finstack.check.pack")

_SEVERITY = {
    engine_pb2.DEBUG: logging.DEBUG,
    engine_pb2.INFO: logging.INFO,
    engine_pb2.WARNING: logging.WARNING,
    engine_pb2.ERROR: logging.ERROR,
}


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self, root_urn: str) -> None:
        self.root_urn = root_urn

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        """Forward a pack's log message to the `finstack.check.pack` logger."""
        suffix = f" ({request.urn})" if request.urn else ""
        log.log(_SEVERITY.get(request.severity, logging.INFO), "%s%s", request.message, suffix)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> engine_pb2.GetRootResourceResponse:
        """The stack's root resource URN."""
        return engine_pb2.GetRootResourceResponse(urn=self.root_urn)

    def SetRootResource(self, request: Any, context: Any) -> engine_pb2.SetRootResourceResponse:
        """Accept a new root resource URN."""
        self.root_urn = request.urn
        return engine_pb2.SetRootResourceResponse()


class EngineService:
    """A loopback gRPC server with the Engine service; `address` is what the pack is given."""

    def __init__(self, root_urn: str = "") -> None:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(_Engine(root_urn), self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        self._server.start()

    def stop(self) -> None:
        """Stop serving at once (the pack is gone by then)."""
        self._server.stop(grace=None)
