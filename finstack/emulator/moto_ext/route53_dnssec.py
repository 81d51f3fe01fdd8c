"""Route 53 DNSSEC signing: key-signing keys on a KMS key Route 53 may use, signing only with an active one.

moto 5.2 answers only ``GetDNSSEC`` (always NOT_SIGNING). This adds ``CreateKeySigningKey``,
``ActivateKeySigningKey``, ``DeactivateKeySigningKey``, ``DeleteKeySigningKey``,
``EnableHostedZoneDNSSEC``, ``DisableHostedZoneDNSSEC`` and a ``GetDNSSEC`` that reports them,
refusing what AWS refuses, with the error codes of the botocore route53 model:

- the KMS key must be a key of the account in us-east-1, enabled, ``ECC_NIST_P256`` and
  ``SIGN_VERIFY``, and its key policy must let ``dnssec-route53.amazonaws.com`` DescribeKey,
  GetPublicKey and Sign for this hosted zone (Route 53 Developer Guide, "Working with customer
  managed keys for DNSSEC"; botocore ``CreateKeySigningKeyRequest.KeyManagementServiceArn``:
  "Status Enabled, Key spec ECC_NIST_P256, Key usage Sign and verify, Key policy ... DescribeKey,
  GetPublicKey, Sign"), else ``InvalidKMSArn``. The policy is evaluated with AWS's semantics
  (`bucket_policy.evaluate`, through `route53_query_logs.zone_service_permitted`) for the
  statements naming that service principal (or everyone),
  in the context Route 53 signs with: aws:SourceAccount = the zone's account, aws:SourceArn =
  the hosted zone's ARN;
- a KSK name is 3-128 letters, digits and underscores (``InvalidKeySigningKeyName``), unique in
  the zone with a KMS key unique in the zone (``KeySigningKeyAlreadyExists``), at most two per zone
  (``TooManyKeySigningKeys``; "You can have up to two KSKs per hosted zone", "Working with
  key-signing keys (KSKs)");
- signing needs an ACTIVE KSK (``KeySigningKeyWithActiveStatusNotFound``); the last ACTIVE KSK of
  a signing zone cannot be deactivated (``KeySigningKeyInUse``); only an INACTIVE KSK can be
  deleted (``InvalidKeySigningKeyStatus``, "Before you can delete a KSK, you must edit the KSK to
  set its status to Inactive").

The DS record is computed as a resolver would check it (RFC 4034 section 5.1.4, SHA-256 digest
type 2, algorithm 13 ECDSAP256SHA256, flags 257) from the KMS key's public key. The emulator
cannot see the parent zone, so ``KeySigningKeyInParentDSRecord`` is never raised: removing the
DS record before disabling signing is an operator step (docs/delegation.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.kms.models import kms_backends
from moto.route53 import urls as route53_urls
from moto.route53.exceptions import Route53ClientError
from moto.route53.models import route53_backends

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation
from finstack.emulator.moto_ext.route53_health import HealthCheckResponse
from finstack.emulator.moto_ext.route53_query_logs import zone_service_permitted

_PARTITION = "aws"
SIGNING_REGION = "us-east-1"
DNSSEC_SERVICE = "dnssec-route53.amazonaws.com"
REQUIRED_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Sign")
KEY_SPEC = "ECC_NIST_P256"
KEY_USAGE = "SIGN_VERIFY"
MAX_KSKS_PER_ZONE = 2
_NAME = re.compile(r"^[A-Za-z0-9_]{3,128}$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):key/(?P<key>[A-Za-z0-9-]+)$")
# DNSKEY of a KSK: flags 257 (zone key + secure entry point), protocol 3, algorithm 13 (RFC 6605).
KSK_FLAGS = 257
ALGORITHM = 13
DIGEST_TYPE = 2


class _Error(Route53ClientError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass
class FakeKeySigningKey:
    """One KSK as GetDNSSEC reports it."""

    name: str
    kms_arn: str
    status: str
    public_key: bytes  # the raw P-256 point X||Y (64 bytes), what the DNSKEY record carries
    zone_name: str
    created: datetime = field(default_factory=utcnow)
    modified: datetime = field(default_factory=utcnow)

    @property
    def dnskey_rdata(self) -> bytes:
        """Flags, protocol 3, algorithm, public key (RFC 4034 section 2.1)."""
        return KSK_FLAGS.to_bytes(2, "big") + bytes([3, ALGORITHM]) + self.public_key

    @property
    def key_tag(self) -> int:
        """RFC 4034 Appendix B."""
        total = sum(b << 8 if i % 2 == 0 else b for i, b in enumerate(self.dnskey_rdata))
        total += (total >> 16) & 0xFFFF
        return total & 0xFFFF

    @property
    def digest(self) -> str:
        """RFC 4034 section 5.1.4: SHA-256 over the owner name (canonical wire form) and the DNSKEY RDATA."""
        labels = [label for label in self.zone_name.lower().rstrip(".").split(".") if label]
        owner = b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\x00"
        return hashlib.sha256(owner + self.dnskey_rdata).hexdigest().upper()

    def describe(self) -> dict[str, Any]:
        """The ``KeySigningKey`` structure of the botocore route53 model."""
        public = base64.b64encode(self.public_key).decode()
        return {
            "Name": self.name,
            "KmsArn": self.kms_arn,
            "Flag": KSK_FLAGS,
            "SigningAlgorithmMnemonic": "ECDSAP256SHA256",
            "SigningAlgorithmType": ALGORITHM,
            "DigestAlgorithmMnemonic": "SHA-256",
            "DigestAlgorithmType": DIGEST_TYPE,
            "KeyTag": self.key_tag,
            "DigestValue": self.digest,
            "PublicKey": public,
            "DSRecord": f"{self.key_tag} {ALGORITHM} {DIGEST_TYPE} {self.digest}",
            "DNSKEYRecord": f"{KSK_FLAGS} 3 {ALGORITHM} {public}",
            "Status": self.status,
            "CreatedDate": self.created,
            "LastModifiedDate": self.modified,
        }


@dataclass
class ZoneSigningState:
    """A hosted zone's DNSSEC state: its KSKs by name and whether it signs."""

    signing: bool = False
    ksks: dict[str, FakeKeySigningKey] = field(default_factory=dict)


class DnssecBackend(BaseBackend):
    """DNSSEC state of one account's hosted zones (reset together with moto's backends)."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.zones: dict[str, ZoneSigningState] = {}


dnssec_backends = BackendDict(DnssecBackend, "route53", use_boto3_regions=False, additional_regions=[_PARTITION])


def _zone_state(account_id: str, zone_id: str) -> tuple[Any, ZoneSigningState]:
    """Moto's zone (NoSuchHostedZone if absent) and its DNSSEC state."""
    zone = route53_backends[account_id][_PARTITION].get_hosted_zone(zone_id)
    if zone.private_zone:
        raise _Error("InvalidArgument", "DNSSEC signing is available only for public hosted zones.")
    return zone, dnssec_backends[account_id][_PARTITION].zones.setdefault(zone.id, ZoneSigningState())


def route53_may_sign(policy: dict[str, Any], key_arn: str, account_id: str, zone_id: str) -> bool:
    """Whether the key policy lets Route 53 DNSSEC (for `zone_id` of `account_id`) use the key to sign."""
    return zone_service_permitted([policy], DNSSEC_SERVICE, REQUIRED_ACTIONS, key_arn, account_id, zone_id)


def signing_public_key(account_id: str, kms_arn: str, zone_id: str) -> bytes:
    """The raw public point of the KMS key Route 53 would sign with; InvalidKMSArn when it may not."""
    match = _KMS_ARN.match(kms_arn or "")
    if match is None or match["account"] != account_id:
        raise _Error("InvalidKMSArn", f"{kms_arn} is not a KMS key ARN of account {account_id}.")
    if match["region"] != SIGNING_REGION:
        raise _Error(
            "InvalidKMSArn", f"The customer managed key for DNSSEC signing must be in {SIGNING_REGION}: {kms_arn}."
        )
    keys = kms_backends[account_id][SIGNING_REGION].keys
    key = keys.get(match["key"])
    if key is None:
        raise _Error("InvalidKMSArn", f"KMS key {kms_arn} does not exist.")
    if key.key_spec != KEY_SPEC or key.key_usage != KEY_USAGE:
        raise _Error(
            "InvalidKMSArn",
            f"KMS key {kms_arn} is {key.key_spec}/{key.key_usage}; DNSSEC signing needs {KEY_SPEC}/{KEY_USAGE}.",
        )
    if key.key_state != "Enabled":
        raise _Error("InvalidKMSArn", f"KMS key {kms_arn} is {key.key_state}, not Enabled.")
    if not route53_may_sign(json.loads(key.policy), kms_arn, account_id, zone_id):
        raise _Error(
            "InvalidKMSArn",
            f"The key policy of {kms_arn} does not let {DNSSEC_SERVICE} {', '.join(REQUIRED_ACTIONS)} for "
            f"hosted zone {zone_id}.",
        )
    # moto wraps the cryptography key (kms.utils.ECDSAPrivateKey.private_key).
    private = getattr(key.private_key, "private_key", None)
    public = private.public_key() if isinstance(private, ec.EllipticCurvePrivateKey) else None
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise _Error("InvalidKMSArn", f"KMS key {kms_arn} has no P-256 public key.")
    numbers = public.public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def _change_info() -> dict[str, Any]:
    return {"Id": "/change/C2682N5HXP0BZ4", "Status": "INSYNC", "SubmittedAt": utcnow()}


class DnssecResponse(HealthCheckResponse):
    """moto's Route 53 API (with the health-check extensions) plus DNSSEC signing."""

    def _requested_ksk(self) -> tuple[Any, ZoneSigningState, FakeKeySigningKey]:
        """The zone, its DNSSEC state and the KSK the request's path names (call under EXTENSION_LOCK)."""
        zone, state = _zone_state(self.current_account, self._get_param("HostedZoneId"))
        name = self._get_param("Name")
        if name not in state.ksks:
            raise _Error("NoSuchKeySigningKey", f"No key-signing key named {name} in this hosted zone.")
        return zone, state, state.ksks[name]

    def create_key_signing_key(self) -> ActionResult:
        """``CreateKeySigningKey`` (201), checking the name, the zone's KSK limit and the KMS key."""
        zone_id = self._get_param("HostedZoneId")
        name = self._get_param("Name") or ""
        kms_arn = self._get_param("KeyManagementServiceArn") or ""
        status = self._get_param("Status")
        with EXTENSION_LOCK:
            zone, state = _zone_state(self.current_account, zone_id)
            if not _NAME.match(name):
                raise _Error("InvalidKeySigningKeyName", f"{name!r}: 3-128 letters, digits and underscores.")
            if status not in ("ACTIVE", "INACTIVE"):
                raise _Error("InvalidKeySigningKeyStatus", f"Status must be ACTIVE or INACTIVE, not {status}.")
            if name in state.ksks or any(k.kms_arn == kms_arn for k in state.ksks.values()):
                raise _Error("KeySigningKeyAlreadyExists", f"A KSK named {name} or on {kms_arn} already exists.")
            if len(state.ksks) >= MAX_KSKS_PER_ZONE:
                raise _Error("TooManyKeySigningKeys", f"A hosted zone has at most {MAX_KSKS_PER_ZONE} KSKs.")
            public = signing_public_key(self.current_account, kms_arn, zone.id)
            ksk = FakeKeySigningKey(name, kms_arn, status, public, zone.name)
            state.ksks[name] = ksk
            described = ksk.describe()
        self.status_code = 201
        return ActionResult(
            {
                "ChangeInfo": _change_info(),
                "KeySigningKey": described,
                "Location": f"https://route53.amazonaws.com/2013-04-01/keysigningkey/{zone.id}/{name}",
            }
        )

    def activate_key_signing_key(self) -> ActionResult:
        """``ActivateKeySigningKey``: the KMS key must still be usable by Route 53."""
        with EXTENSION_LOCK:
            zone, _, ksk = self._requested_ksk()
            signing_public_key(self.current_account, ksk.kms_arn, zone.id)
            ksk.status, ksk.modified = "ACTIVE", utcnow()
        return ActionResult({"ChangeInfo": _change_info()})

    def deactivate_key_signing_key(self) -> ActionResult:
        """``DeactivateKeySigningKey``: never the last ACTIVE KSK of a signing zone."""
        with EXTENSION_LOCK:
            _, state, ksk = self._requested_ksk()
            others = [k for k in state.ksks.values() if k is not ksk and k.status == "ACTIVE"]
            if state.signing and ksk.status == "ACTIVE" and not others:
                raise _Error(
                    "KeySigningKeyInUse",
                    "The key-signing key is the only active KSK of a zone with DNSSEC signing enabled; "
                    "disable DNSSEC signing, or add or activate another KSK.",
                )
            ksk.status, ksk.modified = "INACTIVE", utcnow()
        return ActionResult({"ChangeInfo": _change_info()})

    def delete_key_signing_key(self) -> ActionResult:
        """``DeleteKeySigningKey``: only an INACTIVE KSK."""
        with EXTENSION_LOCK:
            _, state, ksk = self._requested_ksk()
            if ksk.status != "INACTIVE":
                raise _Error("InvalidKeySigningKeyStatus", f"Deactivate key-signing key {ksk.name} before deleting it.")
            del state.ksks[ksk.name]
        return ActionResult({"ChangeInfo": _change_info()})

    def enable_hosted_zone_dnssec(self) -> ActionResult:
        """``EnableHostedZoneDNSSEC``: needs an ACTIVE KSK whose key Route 53 may still use."""
        with EXTENSION_LOCK:
            zone, state = _zone_state(self.current_account, self._get_param("Id"))
            active = [k for k in state.ksks.values() if k.status == "ACTIVE"]
            if not active:
                raise _Error(
                    "KeySigningKeyWithActiveStatusNotFound", "A key-signing key with ACTIVE status wasn't found."
                )
            for ksk in active:
                signing_public_key(self.current_account, ksk.kms_arn, zone.id)
            state.signing = True
        return ActionResult({"ChangeInfo": _change_info()})

    def disable_hosted_zone_dnssec(self) -> ActionResult:
        """``DisableHostedZoneDNSSEC`` (the parent's DS record must already be gone: not visible here)."""
        with EXTENSION_LOCK:
            _, state = _zone_state(self.current_account, self._get_param("Id"))
            state.signing = False
        return ActionResult({"ChangeInfo": _change_info()})

    def get_dnssec(self) -> ActionResult:
        """``GetDNSSEC``: the zone's signing status and its KSKs."""
        with EXTENSION_LOCK:
            _, state = _zone_state(self.current_account, self._get_param("HostedZoneId") or self._get_param("Id"))
            status = "SIGNING" if state.signing else "NOT_SIGNING"
            ksks = [k.describe() for k in state.ksks.values()]
        return ActionResult({"Status": {"ServeSignature": status}, "KeySigningKeys": ksks})


#: Paths moto does not route (botocore route53 model requestUri of the new operations).
DNSSEC_PATHS = (
    r"{0}/(?P<api_version>[\d_-]+)/keysigningkey$",
    r"{0}/(?P<api_version>[\d_-]+)/keysigningkey/(?P<zone_id>[^/]+)/(?P<name>[^/]+)$",
    r"{0}/(?P<api_version>[\d_-]+)/keysigningkey/(?P<zone_id>[^/]+)/(?P<name>[^/]+)/(?:activate|deactivate)$",
    r"{0}/(?P<api_version>[\d_-]+)/hostedzone/(?P<zone_id>[^/]+)/(?:enable|disable)-dnssec$",
)


def register(installation: Installation) -> None:
    """Serve every Route 53 path with `DnssecResponse` (after `route53_health`, whose class it extends)."""
    for path in [*route53_urls.url_paths, *DNSSEC_PATHS]:
        installation.route(route53_urls, path, DnssecResponse.dispatch)
