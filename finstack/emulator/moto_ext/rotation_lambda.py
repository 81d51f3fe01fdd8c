"""Secrets Manager's calls to finstack's rotation function run its code in-process.

On AWS, RotateSecret invokes the secret's rotation function once per step (createSecret,
setSecret, testSecret, finishSecret; with ``RotateImmediately=false`` only testSecret, to check
the configuration: RotateSecret, Secrets Manager API Reference). moto's `LambdaFunction.invoke`
runs function code in a docker container, which the emulator has not. For a function whose
archive holds finstack's rotation handler (components/rotation_lambda, identified by the
`HANDLER` and the handler file's bytes), this extension runs that code's `rotate()` in-process,
over a gateway that calls the emulator's own backends: no boto3 round trip, so a rotation inside
a request neither re-enters the HTTP server nor leaves the request lock (atomic_requests).

The Data API part follows the emulated Aurora (moto_ext/aurora.py): a statement reaches only a
cluster with its HTTP endpoint on, with a secret of the cluster's own region, and only the
global writer accepts `ALTER ROLE`. The emulator does not model database passwords: every
login with an existing secret succeeds, so testSecret proves the wiring (writer, region, probe),
not the password; tests/test_rotation_lambda.py checks the passwords. Statements are recorded in
`executed_statements()` for tests. Any other function keeps moto's behaviour.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend, secretsmanager_backends

from components.rotation_lambda import handler as rotation
from components.rotation_lambda import scram
from finstack.emulator.moto_ext import aurora
from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

HANDLER = "handler.lambda_handler"
_HANDLER_SOURCE = (Path(rotation.__file__).parent / "handler.py").read_bytes()
_STATEMENTS: list[tuple[str, str, str]] = []
# The master password's stored form, kept on the global cluster (or lone cluster) object so it
# goes with the backend: ("plain", password), then ("scram", verifier) after an ALTER ROLE. Only
# this extension's Data API path checks it: the rotation's logins fail with a wrong password, as
# PostgreSQL's would.
_PASSWORD_ATTR = "_finstack_master_password"
_ALTER_ROLE = re.compile(r"^ALTER ROLE \"[^\"]+\" PASSWORD '(SCRAM-SHA-256\$[^']+)'$")


def executed_statements() -> list[tuple[str, str, str]]:
    """(cluster ARN, secret ARN, SQL) of every statement the in-process rotation ran."""
    return list(_STATEMENTS)


def is_rotation_function(function: LambdaFunction) -> bool:
    """True for a function built from components/rotation_lambda (same handler, same code)."""
    if getattr(function, "handler", None) != HANDLER or not getattr(function, "code_bytes", b""):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            return archive.read("handler.py") == _HANDLER_SOURCE
    except (KeyError, zipfile.BadZipFile):
        return False


class BackendGateway:
    """handler.Gateway over the emulator's backends, in the function's account and region."""

    def __init__(self, account_id: str, region: str, environment: dict[str, str]) -> None:
        """`region`: the function's (the secret's primary region); `environment`: its variables."""
        self._account = account_id
        self._region = region
        self._global_cluster_id = environment[rotation.ENV_GLOBAL_CLUSTER]
        self._probe = environment[rotation.ENV_PROBE_SECRET]

    def _secrets(self, region: str | None = None) -> Any:
        return secretsmanager_backends[self._account][region or self._region]

    def describe_secret(self, secret_id: str) -> rotation.SecretMetadata:  # noqa: D102
        secret = self._secrets().describe_secret(secret_id)
        versions = {v: tuple(d.get("version_stages", ())) for v, d in secret.versions.items()}
        return rotation.SecretMetadata(secret.arn, bool(secret.rotation_enabled), versions)

    def get_secret(self, secret_id: str, *, stage: str, version: str | None = None) -> str:  # noqa: D102
        secret = self._secrets().describe_secret(secret_id)
        for version_id, data in secret.versions.items():
            # RotateSecret labels the new version AWSPENDING before it has a value: GetSecretValue
            # answers ResourceNotFoundException for it, which createSecret relies on.
            if stage in data.get("version_stages", ()) and version in (None, version_id) and "secret_string" in data:
                return str(data["secret_string"])
        raise rotation.NotFound(f"{secret_id}: no version {version} at {stage}")

    def put_pending(self, secret_id: str, token: str, document: str) -> None:  # noqa: D102
        self._secrets().put_secret_value(secret_id, document, None, token, [rotation.PENDING])

    def move_current(self, secret_id: str, token: str, previous: str | None) -> None:  # noqa: D102
        self._secrets().update_secret_version_stage(secret_id, rotation.CURRENT, previous or "", token)

    def random_password(self) -> str:  # noqa: D102
        answer = self._secrets().get_random_password(
            rotation.PASSWORD_LENGTH, "", False, True, False, False, False, True
        )
        return str(json.loads(answer)["RandomPassword"])

    def global_writer(self) -> str:  # noqa: D102
        gc = aurora.get_global_cluster(self._account, self._global_cluster_id)
        writer = aurora._writer(gc)
        if writer is None:
            raise rotation.RotationError(f"global cluster {self._global_cluster_id} has no writer")
        return str(writer.db_cluster_arn)

    def execute(self, cluster_arn: str, secret_arn: str, sql: str) -> None:  # noqa: D102
        region = rotation.region_of(cluster_arn)
        cluster = aurora.find_db_cluster(self._account, cluster_arn, region)
        if not cluster.http_endpoint_enabled:
            raise rotation.RotationError(f"HttpEndpoint is not enabled for cluster {cluster.db_cluster_identifier}.")
        if rotation.region_of(secret_arn) != region or secret_arn not in self._secrets(region).secrets:
            raise rotation.RotationError(f"Error fetching secret {secret_arn}: it does not exist.")
        gc = aurora.global_cluster_of(self._account, cluster)
        writer = aurora._writer(gc) if gc is not None else cluster
        holder = gc if gc is not None else cluster
        secret = self._secrets(region).secrets[secret_arn]
        password = str(json.loads(secret.versions[secret.default_version_id]["secret_string"]).get("password", ""))
        if not _matches(_stored(holder), password):
            raise rotation.RotationError('FATAL: password authentication failed for user "master"')
        if not sql.startswith("SELECT") and (writer is None or writer.db_cluster_arn != cluster.db_cluster_arn):
            raise rotation.RotationError("ERROR: cannot execute ALTER ROLE in a read-only transaction")
        altered = _ALTER_ROLE.match(sql)
        if altered:
            holder.__dict__[_PASSWORD_ATTR] = ("scram", altered.group(1))
        _STATEMENTS.append((cluster_arn, secret_arn, sql))

    def seed_password(self, secret_id: str) -> None:
        """Record the master secret's current password as the database's, if none is recorded yet.

        moto keeps no master password for a member of a global database; the program handed the
        secret's first value to CreateDBCluster (components/aurora_global.py), so it is the password.
        """
        gc = aurora.get_global_cluster(self._account, self._global_cluster_id)
        if _PASSWORD_ATTR not in gc.__dict__:
            document = json.loads(self.get_secret(secret_id, stage=rotation.CURRENT))
            gc.__dict__[_PASSWORD_ATTR] = ("plain", str(document.get("password", "")))

    def put_probe(self, region: str, document: str) -> str:  # noqa: D102
        self._secrets(region).put_secret_value(self._probe, document, None, None, [rotation.CURRENT])
        return str(self._secrets(region).describe_secret(self._probe).arn)


def _stored(holder: Any) -> tuple[str, str]:
    stored = holder.__dict__.get(_PASSWORD_ATTR)
    if stored is None:
        raise rotation.RotationError("the emulated database has no recorded master password")
    return tuple(stored)  # type: ignore[return-value]


def _matches(stored: tuple[str, str], password: str) -> bool:
    kind, value = stored
    if kind == "plain":
        return password == value
    match = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", value)
    if match is None or not password.isascii() or not password.isalnum():
        return False
    stored_key, server_key = scram.keys(password, base64.b64decode(match.group(2)), int(match.group(1)))
    return (base64.b64encode(stored_key).decode(), base64.b64encode(server_key).decode()) == match.group(3, 4)


def register(installation: Installation) -> None:
    """Run finstack's rotation function in-process when Secrets Manager (or anyone) invokes it."""
    original = LambdaFunction.invoke

    def invoke(self: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        if not is_rotation_function(self):
            return original(self, body, request_headers, response_headers)
        event = json.loads(body or "{}")
        gateway = BackendGateway(self.account_id, self.region, dict(self.environment_vars or {}))
        with EXTENSION_LOCK:
            try:
                # Aurora's state moves lazily, on each request: bring switchovers up to "now" first.
                aurora.settle(self.account_id)
                gateway.seed_password(str(event["SecretId"]))
                rotation.rotate(gateway, str(event["SecretId"]), str(event["ClientRequestToken"]), str(event["Step"]))
            except (rotation.RotationError, rotation.NotFound) as error:
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps({"errorMessage": str(error), "errorType": "RotationError"})
        return "null"

    installation.patch(LambdaFunction, "invoke", invoke)

    stock_rotate = SecretsManagerBackend.rotate_secret

    def rotate_secret(self: SecretsManagerBackend, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        # With RotateImmediately=false moto copies `secret_string`, the value the secret was
        # *created* with (None for a secret created empty and filled by PutSecretValue, as the
        # provider does), into the version testSecret checks; the current value is what rotation
        # tests, so lend it for the call.
        found = self.secrets[secret_id] if secret_id in self.secrets else None  # noqa: SIM401 - ARN lookup
        # A replica cannot be rotated (moto refuses it itself): only a primary needs the fix.
        secret = found if isinstance(found, FakeSecret) else None
        current = None
        if secret is not None and secret.default_version_id in secret.versions:
            current = secret.versions[secret.default_version_id].get("secret_string")
        if current is None or secret is None:
            return stock_rotate(self, secret_id, *args, **kwargs)
        created = secret.secret_string
        secret.secret_string = current
        try:
            return stock_rotate(self, secret_id, *args, **kwargs)
        finally:
            secret.secret_string = created

    installation.patch(SecretsManagerBackend, "rotate_secret", rotate_secret)
