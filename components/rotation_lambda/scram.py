"""SCRAM-SHA-256 verifiers as PostgreSQL stores them (`rolpassword`), computed client-side.

`ALTER ROLE ... PASSWORD '<verifier>'` stores a pre-hashed verifier as is (PostgreSQL docs,
"ALTER ROLE" / "Password Authentication": a password string already in SCRAM format is stored
unchanged). The rotation sends only the verifier: the cluster's pgAudit `role` class logs every
ALTER ROLE statement text (components/aurora_plan.py cluster_parameters), and a verifier in that
log is not the password. Format (RFC 5802 section 3, RFC 7677, PostgreSQL src/common/scram-common.c):

    SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>

No `pulumi`, no boto3: pure and tested against the RFC 7677 test vector.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# PostgreSQL's default `scram_iterations` (4096, also RFC 7677's example).
ITERATIONS = 4096
SALT_BYTES = 16  # PostgreSQL's SCRAM_DEFAULT_SALT_LEN


def salted_password(password: str, salt: bytes, iterations: int) -> bytes:
    """Hi(password, salt, i) of RFC 5802: PBKDF2-HMAC-SHA-256.

    SASLprep is the identity for the ASCII letters and digits the rotation generates
    (`exclude_punctuation`), so the password's UTF-8 bytes are used directly; anything else is refused.
    """
    if not password.isascii() or not password.isalnum():
        raise ValueError("only ASCII letters and digits are hashed here (SASLprep is not implemented)")
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)


def keys(password: str, salt: bytes, iterations: int = ITERATIONS) -> tuple[bytes, bytes]:
    """(StoredKey, ServerKey) of RFC 5802 section 3."""
    salted = salted_password(password, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest(), server_key


def verifier(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The `rolpassword` PostgreSQL would store for `password` (random salt unless given)."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    stored_key, server_key = keys(password, salt, iterations)

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
