"""The break-glass secret's rotation function over a fake AWS that checks logins like Aurora does.

The fake keeps one global database (one password verifier, replicated to every member), a
writer that drills can move between regions, the master secret with its staging labels and
replicas (ARN identical but for the region), and one probe secret per region. The Data API login
succeeds only with a secret of the cluster's own region whose AWSCURRENT password matches the
stored SCRAM verifier: the constraint the function is built around.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.rotation_lambda import handler, scram
from components.rotation_lambda.handler import CURRENT, PENDING, NotFound, RotationError, SecretMetadata

ACCOUNT = "111122223333"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:finstack/prod/ledger/master-AbCdEf"
CLUSTERS = {r: f"arn:aws:rds:{r}:{ACCOUNT}:cluster:finstack-prod-ledger-{r}" for r in ("us-east-1", "us-west-2")}
FIRST_PASSWORD = "A1b2C3d4" * 5


class FakeAws:
    """Secrets Manager, RDS and the Data API as far as the rotation sees them."""

    def __init__(self, writer_region: str = "us-east-1") -> None:
        self.writer = CLUSTERS[writer_region]
        self.verifier = scram.verifier(FIRST_PASSWORD)
        first = str(uuid.uuid4())
        doc = {"engine": "postgres", "username": "finstack_admin", "password": FIRST_PASSWORD, "dbname": "ledger"}
        self.versions: dict[str, tuple[str, set[str]]] = {first: (json.dumps(doc), {CURRENT})}
        self.probes: dict[str, str] = {}
        self.statements: list[tuple[str, str, str]] = []
        self.rotation_enabled = True
        self.passwords = iter(f"Z{n:039d}" for n in range(1, 1000))

    # -- Secrets Manager --------------------------------------------------------------------
    def describe_secret(self, secret_id: str) -> SecretMetadata:
        return SecretMetadata(SECRET, self.rotation_enabled, {v: tuple(s) for v, (_, s) in self.versions.items()})

    def get_secret(self, secret_id: str, *, stage: str, version: str | None = None) -> str:
        for version_id, (text, stages) in self.versions.items():
            if stage in stages and version in (None, version_id):
                return text
        raise NotFound(f"{secret_id} has no version {version} at {stage}")

    def put_pending(self, secret_id: str, token: str, document: str) -> None:
        for _, stages in self.versions.values():
            stages.discard(PENDING)
        self.versions[token] = (document, {PENDING})

    def move_current(self, secret_id: str, token: str, previous: str | None) -> None:
        assert previous is not None and CURRENT in self.versions[previous][1]
        for _, stages in self.versions.values():
            stages.discard("AWSPREVIOUS")
        self.versions[previous][1].discard(CURRENT)
        self.versions[previous][1].add("AWSPREVIOUS")
        self.versions[token][1].add(CURRENT)
        self.versions[token][1].discard(PENDING)

    def random_password(self) -> str:
        return next(self.passwords)

    def put_probe(self, region: str, document: str) -> str:
        self.probes[region] = document
        return f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:finstack/prod/ledger/master-rotation-probe-XyZ123"

    # -- RDS and the Data API ---------------------------------------------------------------
    def global_writer(self) -> str:
        if not self.writer:
            raise RotationError("global cluster finstack-prod-ledger has no writer (failover in progress?)")
        return self.writer

    def execute(self, cluster_arn: str, secret_arn: str, sql: str) -> None:
        region = handler.region_of(cluster_arn)
        assert handler.region_of(secret_arn) == region, "the Data API reads a secret of the cluster's region"
        if cluster_arn != self.writer:
            raise RotationError("ERROR: cannot execute in a read-only transaction")
        if "rotation-probe" in secret_arn:
            document = json.loads(self.probes[region])
        else:  # the master secret or its replica: the Data API uses AWSCURRENT only
            document = json.loads(self.get_secret(secret_arn, stage=CURRENT))
        if not self.logs_in(str(document.get("password", ""))):
            raise RotationError('FATAL: password authentication failed for user "finstack_admin"')
        self.statements.append((cluster_arn, secret_arn, sql))
        match = re.fullmatch(r"ALTER ROLE \"finstack_admin\" PASSWORD '(SCRAM-SHA-256\$[^']+)'", sql)
        if match:
            self.verifier = match.group(1)

    def logs_in(self, password: str) -> bool:
        iterations, salt, keys = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$(.+)", self.verifier).groups()  # type: ignore[union-attr]
        stored = scram.keys(password, base64.b64decode(salt), int(iterations)) if password.isalnum() else None
        return stored is not None and keys == ":".join(base64.b64encode(k).decode() for k in stored)

    def current_password(self) -> str:
        return str(json.loads(self.get_secret(SECRET, stage=CURRENT))["password"])


def _rotate(aws: FakeAws, token: str, steps: tuple[str, ...] = handler.STEPS) -> None:
    for step in steps:
        handler.rotate(aws, SECRET, token, step)


def _start(aws: FakeAws) -> str:
    """What RotateSecret does before calling createSecret: it names the new version."""
    token = str(uuid.uuid4())
    handler.create_secret(aws, SECRET, token)
    return token


def test_scram__matches_the_rfc7677_example() -> None:
    # RFC 7677 section 3: user "user", password "pencil"; the server signature it prints.
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    stored_key, server_key = scram.keys("pencil", salt, 4096)
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}"
    signature = hmac.new(server_key, auth_message.encode(), hashlib.sha256).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    assert len(stored_key) == 32


def test_scram__refuses_what_saslprep_would_change() -> None:
    with pytest.raises(ValueError, match="SASLprep"):
        scram.verifier("pass word")


def test_rotation__changes_the_writer_password_and_current_version() -> None:
    aws = FakeAws()
    token = _start(aws)
    _rotate(aws, token)
    new = aws.current_password()
    assert new != FIRST_PASSWORD and aws.logs_in(new) and not aws.logs_in(FIRST_PASSWORD)
    assert CURRENT in aws.versions[token][1]
    assert aws.probes["us-east-1"] == handler.PROBE_PLACEHOLDER


def test_set_secret__sends_a_verifier_never_the_password() -> None:
    aws = FakeAws()
    token = _start(aws)
    _rotate(aws, token)
    alters = [sql for _, _, sql in aws.statements if sql.startswith("ALTER ROLE")]
    assert len(alters) == 1
    assert aws.current_password() not in alters[0]
    assert "SCRAM-SHA-256$4096:" in alters[0]


def test_set_secret__targets_the_writer_in_its_region_after_a_switchover() -> None:
    # Given the writer moved to us-west-2 (a drill), the function still runs in us-east-1
    aws = FakeAws(writer_region="us-west-2")
    token = _start(aws)
    _rotate(aws, token)
    cluster, secret, _ = next(s for s in aws.statements if s[2].startswith("ALTER ROLE"))
    assert cluster == CLUSTERS["us-west-2"]
    assert secret == SECRET.replace("us-east-1", "us-west-2")
    assert aws.logs_in(aws.current_password())


def test_rotation__survives_the_writer_moving_between_steps() -> None:
    aws = FakeAws()
    token = _start(aws)
    handler.rotate(aws, SECRET, token, "setSecret")
    aws.writer = CLUSTERS["us-west-2"]  # switchover between setSecret and testSecret
    _rotate(aws, token, ("testSecret", "finishSecret"))
    assert aws.logs_in(aws.current_password())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=3), min_size=4, max_size=4), st.booleans())
def test_rotation__every_step_is_idempotent(repeats: list[int], moved: bool) -> None:
    aws = FakeAws()
    token = _start(aws)
    handler.create_secret(aws, SECRET, token)  # createSecret retried: same version, same password
    pending = aws.get_secret(SECRET, stage=PENDING, version=token)
    for step, times in zip(handler.STEPS, repeats, strict=True):
        for _ in range(times):
            handler.rotate(aws, SECRET, token, step)
        if moved and step == "setSecret":
            aws.writer = CLUSTERS["us-west-2"]
    assert aws.current_password() == json.loads(pending)["password"]
    assert aws.logs_in(aws.current_password())
    assert sum(sql.startswith("ALTER ROLE") for _, _, sql in aws.statements) == 1


def test_set_secret__accepts_a_password_set_by_a_failed_earlier_attempt() -> None:
    # Given setSecret changed the password but the invocation died before reporting success
    aws = FakeAws()
    token = _start(aws)
    pending = json.loads(aws.get_secret(SECRET, stage=PENDING, version=token))["password"]
    aws.verifier = scram.verifier(pending)
    # When Secrets Manager retries the rotation, the current secret no longer logs in
    _rotate(aws, token, ("setSecret", "testSecret", "finishSecret"))
    assert aws.current_password() == pending
    assert not any(sql.startswith("ALTER ROLE") for _, _, sql in aws.statements)


def test_test_secret__fails_when_the_pending_password_does_not_log_in() -> None:
    aws = FakeAws()
    token = _start(aws)
    with pytest.raises(RotationError, match=f"pending version {token} does not log in"):
        handler.rotate(aws, SECRET, token, "testSecret")
    assert aws.probes["us-east-1"] == handler.PROBE_PLACEHOLDER


def test_set_secret__fails_without_a_writer() -> None:
    aws = FakeAws()
    token = _start(aws)
    aws.writer = ""
    with pytest.raises(RotationError, match="has no writer"):
        handler.rotate(aws, SECRET, token, "setSecret")


def test_rotate__refuses_a_disabled_rotation_an_unknown_version_and_an_unknown_step() -> None:
    aws = FakeAws()
    token = _start(aws)
    with pytest.raises(RotationError, match="unknown rotation step"):
        handler.rotate(aws, SECRET, token, "dropSecret")
    with pytest.raises(RotationError, match="has no version"):
        handler.rotate(aws, SECRET, "nope", "setSecret")
    aws.rotation_enabled = False
    with pytest.raises(RotationError, match="not enabled for rotation"):
        handler.rotate(aws, SECRET, token, "setSecret")


def test_rotate__does_nothing_for_the_current_version() -> None:
    aws = FakeAws()
    current = next(v for v, (_, s) in aws.versions.items() if CURRENT in s)
    for step in handler.STEPS:
        handler.rotate(aws, SECRET, current, step)
    assert aws.statements == [] and aws.current_password() == FIRST_PASSWORD


def test_in_region__rewrites_only_the_region() -> None:
    assert handler.in_region(SECRET, "us-west-2") == SECRET.replace(":us-east-1:", ":us-west-2:")
    with pytest.raises(RotationError, match="not a regional ARN"):
        handler.in_region("arn:aws:iam::1:role/x", "us-west-2")
