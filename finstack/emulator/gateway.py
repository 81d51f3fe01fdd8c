"""The only place the emulator touches boto3: one client per (service, region), lazily.

Works the same in-process (moto's `mock_aws` intercepts botocore) and against a running
emulator server (`AWS_ENDPOINT_URL`, which botocore honours natively).
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

# Adaptive retries with a small budget: the emulator never throttles, real AWS might.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


class AwsGateway:
    """boto3 clients for one account, by service and region; thread-safe."""

    def __init__(self, session: boto3.Session | None = None, endpoint_url: str | None = None):
        self._session = session or boto3.Session()
        self._endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        """A cached boto3 client for `service` in `region`."""
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region, "config": _CLIENT_CONFIG}
                if self._endpoint_url:
                    kwargs["endpoint_url"] = self._endpoint_url
                self._clients[key] = self._session.client(service, **kwargs)
            return self._clients[key]

    def account_id(self) -> str:
        """The emulated (or real) account id, from STS."""
        return str(self.client("sts", "us-east-1").get_caller_identity()["Account"])
