"""ACM issues a DNS-validated certificate only once its validation records exist; ELBv2 binds only issued ones.

moto 5 issues every requested certificate 60 seconds after the request whatever DNS holds
(`moto/acm/models.py` `CertBundle.check`, `MOTO_ACM_VALIDATION_WAIT`), and its `CreateListener`
never looks at the certificate's status. AWS does neither:

- a requested certificate stays PENDING_VALIDATION until ACM resolves each name's validation
  CNAME, and times out after 72 hours (ACM API reference, `CertificateDetail.Status`);
- `CreateListener` with an ACM certificate that is not ISSUED fails. AWS has answered
  `CertificateNotFound` ("Certificate '<arn>' not found", aws/aws-cdk#6081) and
  `UnsupportedCertificate` (govuk-paas/paas-cf#3063) for it; only the first is in the botocore
  ELBv2 model of CreateListener, so the emulator answers that, naming the status.

Here a pending certificate becomes ISSUED once every name's validation CNAME is in a public hosted
zone of the same emulated account with ACM's value. The emulator cannot see the parent domain,
which lives outside the emulated account, so it counts every public zone as delegated
(docs/delegation.md): it catches a listener bound before the validation and missing or wrong
validation records, not a forgotten delegation.
"""

from __future__ import annotations

from typing import Any

from moto.acm.models import CertBundle, CertificateNotFound, acm_backends
from moto.core.utils import utcnow
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend
from moto.route53.models import route53_backends

from finstack.emulator.moto_ext._registry import Installation


def _certificate_not_found(arn: str, detail: str = "") -> ELBClientError:
    return ELBClientError("CertificateNotFound", f"Certificate '{arn}' not found{detail}")


def _name(value: str) -> str:
    return value.rstrip(".").lower()


def _public_cnames(account_id: str) -> set[tuple[str, str]]:
    """(name, value) of every CNAME in the account's public hosted zones."""
    backend = route53_backends[account_id]["aws"]
    found: set[tuple[str, str]] = set()
    for zone in backend.zones.values():
        if zone.private_zone:
            continue
        for record in zone.rrsets:
            if record.type == "CNAME":
                found.update((_name(record.name), _name(str(value))) for value in record.records)
    return found


def _validation_records_exist(cert: CertBundle) -> bool:
    account_id = cert.arn.split(":")[4]
    options = cert.describe()["Certificate"].get("DomainValidationOptions", [])
    records = [option.get("ResourceRecord") or {} for option in options]
    if not records:
        return False
    present = _public_cnames(account_id)
    return all((_name(r.get("Name", "")), _name(r.get("Value", ""))) in present for r in records)


def register(installation: Installation) -> None:
    """Issue on validation records instead of on a timer; refuse listeners on unissued certificates."""

    def check(self: CertBundle) -> None:
        if self._not_valid_after(self._cert) <= utcnow():
            self.status = "EXPIRED"
            return
        if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION" and _validation_records_exist(self):
            self.status = "ISSUED"

    original_create_listener = ELBv2Backend.create_listener

    def create_listener(self: ELBv2Backend, *args: Any, **kwargs: Any) -> Any:
        certificate = kwargs.get("certificate")
        if isinstance(certificate, str) and ":acm:" in certificate:
            region = certificate.split(":")[3]
            try:
                bundle = acm_backends[self.account_id][region].get_certificate(certificate)
            except CertificateNotFound:
                raise _certificate_not_found(certificate) from None
            if bundle.status != "ISSUED":
                detail = f" (emulator: it is {bundle.status}; ELBv2 binds only ISSUED ACM certificates)"
                raise _certificate_not_found(certificate, detail)
        return original_create_listener(self, *args, **kwargs)

    installation.patch(CertBundle, "check", check)
    installation.patch(ELBv2Backend, "create_listener", create_listener)
