"""The delegation procedure in the emulator: a first `up` that defers the listeners, then one that waits."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from finstack.emulator import session as emulator
from finstack.emulator.deploy import up
from finstack.emulator.session import EmulatorSession
from finstack.project import StackFiles, load_stack
from tests.plan import PROJECT_DIR

LISTENER = "aws:lb/listener:Listener"
CERT_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"


@pytest.fixture(scope="module")
def active() -> Iterator[EmulatorSession]:
    emulator.stop()
    yield emulator.start()
    emulator.stop()


def _dev(tmp: Path, validation: str) -> StackFiles:
    """The shipped dev stack with `finstack:traffic.certificateValidation` set, written under `tmp`."""
    files = load_stack("dev", PROJECT_DIR)
    raw = copy.deepcopy(files.raw_config)
    raw["finstack:traffic"] = {**raw["finstack:traffic"], "certificateValidation": validation}
    (tmp / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": raw}))
    if not (tmp / "infra").exists():
        (tmp / "infra").symlink_to(PROJECT_DIR / "infra")
    return StackFiles(tmp, files.project, files.stack, tmp / "Pulumi.dev.yaml", raw)


def _listeners(active: EmulatorSession, region: str) -> list[dict[str, Any]]:
    elb = active.gateway.client("elbv2", region)
    found: list[dict[str, Any]] = []
    for balancer in elb.describe_load_balancers()["LoadBalancers"]:
        found += elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    return found


def test_up__defer_then_wait_adds_the_listeners_on_issued_certificates(active: EmulatorSession, tmp_path: Path) -> None:
    regions = ("us-east-1", "us-west-2")
    # Given a first `up` that does not wait for the certificates
    first = up(_dev(tmp_path, "defer"), active)
    created = {e.type for e in first.created}
    assert LISTENER not in created and CERT_VALIDATION not in created, sorted(created)
    for region in regions:
        assert _listeners(active, region) == [], f"{region}: a listener exists before the validation"
    dns = first.run.outputs["dns"]
    zone = active.gateway.client("route53", "us-east-1").get_hosted_zone(Id=dns["zoneId"])
    # Then the output names the emulated zone's own name servers, what the parent must delegate to
    assert dns["nameServers"] == zone["DelegationSet"]["NameServers"] and len(dns["nameServers"]) == 4
    assert (dns["certificateValidation"], dns["delegationVerified"]) == ("defer", False)

    # When the operator has delegated and runs `up` with wait
    second = up(_dev(tmp_path, "wait"), active)
    # Then each cell gets its validation and an HTTPS listener on an issued certificate
    assert sorted(e.region for e in second.created if e.type == CERT_VALIDATION) == sorted(regions)
    for region in regions:
        [listener] = _listeners(active, region)
        [certificate] = listener["Certificates"]
        acm = active.gateway.client("acm", region)
        described = acm.describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
        assert described["Status"] == "ISSUED", f"{region}: listener on a {described['Status']} certificate"
    assert second.run.outputs["dns"]["zoneId"] == dns["zoneId"], "the zone must survive the second up"
    assert second.run.outputs["dns"]["delegationVerified"] is True
