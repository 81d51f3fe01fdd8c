"""Rotation of the ledger's break-glass master secret, for a global database, without VPC reach.

Secrets Manager calls the function four times per rotation with `Step` set to createSecret,
setSecret, testSecret and finishSecret (Secrets Manager User Guide, "Rotation by Lambda
function" / "Lambda rotation functions"); every step may be retried, so every step is idempotent.

What differs from AWS's single-user PostgreSQL template (aws-samples/aws-secrets-manager-rotation-lambdas,
SecretsManagerRDSPostgreSQLRotationSingleUser) and why:

* No database connection: the function talks to the cluster through the RDS Data API
  (`rds-data ExecuteStatement`, which the ledger enables on every member), so it runs outside the
  VPC and needs no route to the data subnets.
* The writer moves: after a switchover or failover it is in another region. Every step that
  touches the database first asks the global cluster for its writer (`DescribeGlobalClusters`,
  the member with `IsWriter`) and calls the Data API in that member's region, with the secret's
  replica in that region (the Data API reads a secret of the cluster's own region; the replica
  has the same ARN but for the region).
* The Data API authenticates with a secret's AWSCURRENT version only: the pending password
  cannot be tried through the master secret. The function writes the pending document into a
  *probe* secret in the writer's region (one per cell, same KMS key, declared by the component),
  runs `SELECT 1` with it, then overwrites the probe with a placeholder.
* The new password never reaches a log: setSecret sends `ALTER ROLE ... PASSWORD '<SCRAM
  verifier>'` computed here (components/rotation_lambda/scram.py); pgAudit's `role` class logs the
  statement, with a verifier that is not the password.
* Rotation runs in the secret's primary region; the replicas follow. Between finishSecret and
  replication to the writer's region the replica briefly holds the previous password: a
  break-glass login in that window retries (the credential is not used by applications).

No `pulumi` import: the module is shipped as the function's code (python3.13, boto3 of the runtime).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

try:  # packaged flat in the function's archive, imported as a package in this repository
    import scram  # type: ignore[import-not-found,no-redef,unused-ignore]
except ImportError:  # pragma: no cover - the repository layout
    from components.rotation_lambda import scram

logger = logging.getLogger(__name__)

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
PASSWORD_LENGTH = 40  # components.aurora_plan.MASTER_PASSWORD_LENGTH (RDS allows at most 41)
# What the probe secret holds between rotations: not a credential, refused by the Data API.
PROBE_PLACEHOLDER = json.dumps({"note": "rotation probe: holds a pending password only during testSecret"})
# How the Data API reports a refused login (the PostgreSQL FATAL text, wrapped in the API's error).
AUTH_FAILED = "password authentication failed"
ENV_GLOBAL_CLUSTER = "GLOBAL_CLUSTER_ID"
ENV_PROBE_SECRET = "PROBE_SECRET_NAME"


class RotationError(Exception):
    """A rotation step cannot complete; Secrets Manager marks the rotation failed and retries."""


class NotFound(Exception):
    """The secret version asked for does not exist (ResourceNotFoundException)."""


@dataclass(frozen=True)
class SecretMetadata:
    """The part of DescribeSecret the steps read."""

    arn: str
    rotation_enabled: bool
    versions: Mapping[str, tuple[str, ...]]


class Gateway(Protocol):
    """The AWS calls of the rotation; `Boto3Gateway` is the real one, tests pass a fake or moto."""

    def describe_secret(self, secret_id: str) -> SecretMetadata: ...  # noqa: D102
    def get_secret(self, secret_id: str, *, stage: str, version: str | None = None) -> str: ...  # noqa: D102
    def put_pending(self, secret_id: str, token: str, document: str) -> None: ...  # noqa: D102
    def move_current(self, secret_id: str, token: str, previous: str | None) -> None: ...  # noqa: D102
    def random_password(self) -> str: ...  # noqa: D102
    def global_writer(self) -> str: ...  # noqa: D102
    def execute(self, cluster_arn: str, secret_arn: str, sql: str) -> None: ...  # noqa: D102
    def put_probe(self, region: str, document: str) -> str: ...  # noqa: D102


def region_of(arn: str) -> str:
    """The region field of an ARN."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[3]:
        raise RotationError(f"{arn!r} is not a regional ARN")
    return parts[3]


def in_region(arn: str, region: str) -> str:
    """The same ARN in `region`: a replica secret's ARN differs from its primary's only there."""
    parts = arn.split(":")
    region_of(arn)
    return ":".join([*parts[:3], region, *parts[4:]])


def quote_ident(name: str) -> str:
    """PostgreSQL identifier quoting (double quotes, embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def alter_role_sql(username: str, password: str, salt: bytes | None = None) -> str:
    """`ALTER ROLE` setting a pre-hashed SCRAM verifier: the statement text carries no password."""
    return f"ALTER ROLE {quote_ident(username)} PASSWORD '{scram.verifier(password, salt)}'"


def _document(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise RotationError("the secret is not a JSON document") from error
    if not isinstance(document, dict) or not document.get("username") or not document.get("password"):
        raise RotationError("the secret has no username/password (components.aurora_plan.master_secret_document)")
    return document


def authenticates(gateway: Gateway, document: str) -> bool:
    """Whether `document` logs in to the current writer, tried through the writer region's probe secret."""
    writer = gateway.global_writer()
    region = region_of(writer)
    probe = gateway.put_probe(region, document)
    try:
        gateway.execute(writer, probe, "SELECT 1")
    except RotationError as error:
        if AUTH_FAILED in str(error):
            return False
        raise
    finally:
        gateway.put_probe(region, PROBE_PLACEHOLDER)
    return True


def create_secret(gateway: Gateway, secret_id: str, token: str) -> None:
    """Store a new password as AWSPENDING under `token` (nothing if that version exists)."""
    current = _document(gateway.get_secret(secret_id, stage=CURRENT))
    try:
        gateway.get_secret(secret_id, stage=PENDING, version=token)
        logger.info("createSecret: version %s already exists", token)
        return
    except NotFound:
        pass
    pending = {**current, "password": gateway.random_password()}
    gateway.put_pending(secret_id, token, json.dumps(pending, sort_keys=True))
    logger.info("createSecret: stored version %s as %s", token, PENDING)


def set_secret(gateway: Gateway, secret_id: str, token: str) -> None:
    """Set the pending password on the global writer, logged in with the current one.

    Idempotent: if the pending password already logs in (a retry, or an earlier rotation that
    failed after this step), nothing is changed.
    """
    pending_text = gateway.get_secret(secret_id, stage=PENDING, version=token)
    pending = _document(pending_text)
    current = _document(gateway.get_secret(secret_id, stage=CURRENT))
    if pending["username"] != current["username"]:
        raise RotationError("the pending version names another user than the current one")
    if authenticates(gateway, pending_text):
        logger.info("setSecret: the pending password already logs in")
        return
    writer = gateway.global_writer()
    metadata = gateway.describe_secret(secret_id)
    # The secret of the writer's region (the replica there, or the primary itself).
    secret_arn = in_region(metadata.arn, region_of(writer))
    gateway.execute(writer, secret_arn, alter_role_sql(str(pending["username"]), str(pending["password"])))
    logger.info("setSecret: password changed on %s", writer)


def test_secret(gateway: Gateway, secret_id: str, token: str) -> None:
    """Log in to the writer with the pending password."""
    if not authenticates(gateway, gateway.get_secret(secret_id, stage=PENDING, version=token)):
        raise RotationError(f"testSecret: the pending version {token} does not log in to the writer")
    logger.info("testSecret: the pending password logs in")


def finish_secret(gateway: Gateway, secret_id: str, token: str) -> None:
    """Move AWSCURRENT to `token` (Secrets Manager moves AWSPREVIOUS to the version it leaves)."""
    metadata = gateway.describe_secret(secret_id)
    previous = next((v for v, stages in metadata.versions.items() if CURRENT in stages), None)
    if previous == token:
        logger.info("finishSecret: version %s is already %s", token, CURRENT)
        return
    gateway.move_current(secret_id, token, previous)
    logger.info("finishSecret: version %s is now %s", token, CURRENT)


_STEP_FUNCTIONS = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}


def rotate(gateway: Gateway, secret_id: str, token: str, step: str) -> None:
    """Run one step after the checks every AWS template makes on the version's staging."""
    if step not in _STEP_FUNCTIONS:
        raise RotationError(f"unknown rotation step {step!r}; expected one of {', '.join(STEPS)}")
    metadata = gateway.describe_secret(secret_id)
    if not metadata.rotation_enabled:
        raise RotationError(f"secret {secret_id} is not enabled for rotation")
    stages = metadata.versions.get(token)
    if stages is None:
        raise RotationError(f"secret {secret_id} has no version {token}")
    if CURRENT in stages:
        logger.info("%s: version %s is already %s", step, token, CURRENT)
        return
    if PENDING not in stages:
        raise RotationError(f"version {token} of secret {secret_id} is not {PENDING}")
    _STEP_FUNCTIONS[step](gateway, secret_id, token)


class Boto3Gateway:
    """The real AWS calls: one client per service and region, created on first use."""

    def __init__(self, home_region: str, global_cluster_id: str, probe_secret_name: str, session: Any = None) -> None:
        """`home_region`: the secret's primary region, where the function runs."""
        import boto3

        self._session = session or boto3.session.Session()
        self._home = home_region
        self._global_cluster_id = global_cluster_id
        self._probe = probe_secret_name
        self._clients: dict[tuple[str, str], Any] = {}

    def _client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self._home)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=key[1])
        return self._clients[key]

    def describe_secret(self, secret_id: str) -> SecretMetadata:  # noqa: D102
        answer = self._client("secretsmanager").describe_secret(SecretId=secret_id)
        versions = {v: tuple(s) for v, s in (answer.get("VersionIdsToStages") or {}).items()}
        return SecretMetadata(answer["ARN"], bool(answer.get("RotationEnabled")), versions)

    def get_secret(self, secret_id: str, *, stage: str, version: str | None = None) -> str:  # noqa: D102
        client = self._client("secretsmanager")
        kwargs: dict[str, str] = {"SecretId": secret_id, "VersionStage": stage}
        if version is not None:
            kwargs["VersionId"] = version
        try:
            return str(client.get_secret_value(**kwargs)["SecretString"])
        except client.exceptions.ResourceNotFoundException as error:
            raise NotFound(str(error)) from error

    def put_pending(self, secret_id: str, token: str, document: str) -> None:  # noqa: D102
        self._client("secretsmanager").put_secret_value(
            SecretId=secret_id, ClientRequestToken=token, SecretString=document, VersionStages=[PENDING]
        )

    def move_current(self, secret_id: str, token: str, previous: str | None) -> None:  # noqa: D102
        kwargs: dict[str, str] = {"SecretId": secret_id, "VersionStage": CURRENT, "MoveToVersionId": token}
        if previous is not None:
            kwargs["RemoveFromVersionId"] = previous
        self._client("secretsmanager").update_secret_version_stage(**kwargs)

    def random_password(self) -> str:  # noqa: D102
        answer = self._client("secretsmanager").get_random_password(
            PasswordLength=PASSWORD_LENGTH, ExcludePunctuation=True, IncludeSpace=False, RequireEachIncludedType=True
        )
        return str(answer["RandomPassword"])

    def global_writer(self) -> str:  # noqa: D102
        answer = self._client("rds").describe_global_clusters(GlobalClusterIdentifier=self._global_cluster_id)
        for cluster in answer.get("GlobalClusters", []):
            for member in cluster.get("GlobalClusterMembers", []):
                if member.get("IsWriter"):
                    return str(member["DBClusterArn"])
        raise RotationError(f"global cluster {self._global_cluster_id} has no writer (failover in progress?)")

    def execute(self, cluster_arn: str, secret_arn: str, sql: str) -> None:  # noqa: D102
        from botocore.exceptions import ClientError

        client = self._client("rds-data", region_of(cluster_arn))
        try:
            client.execute_statement(resourceArn=cluster_arn, secretArn=secret_arn, sql=sql)
        except ClientError as error:
            # The message of a refused login names the user, never the password.
            raise RotationError(f"{error.response['Error'].get('Message', error)}") from None

    def put_probe(self, region: str, document: str) -> str:  # noqa: D102
        answer = self._client("secretsmanager", region).put_secret_value(SecretId=self._probe, SecretString=document)
        return str(answer["ARN"])


def lambda_handler(event: Mapping[str, Any], context: Any) -> None:
    """The function's entry point (`handler.lambda_handler`)."""
    gateway = Boto3Gateway(
        home_region=os.environ["AWS_REGION"],
        global_cluster_id=os.environ[ENV_GLOBAL_CLUSTER],
        probe_secret_name=os.environ[ENV_PROBE_SECRET],
    )
    rotate(gateway, str(event["SecretId"]), str(event["ClientRequestToken"]), str(event["Step"]))
