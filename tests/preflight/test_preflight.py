"""Landing-zone preflight against the emulator: every missing service is named; all on passes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import boto3
import pytest
import yaml
from click.testing import CliRunner, Result

from components.audit_trail import trail_bucket_statements
from finstack.emulator.moto_ext.vpc_block_public_access import set_exclusions_not_allowed
from finstack.preflight.gateway import AccountServicesGateway
from finstack.preflight.runner import verify
from tests.emulator.moto_ext_fixtures import EAST, WEST, aws_fixture, clock_fixture  # noqa: F401 - fixtures by name

pytestmark = pytest.mark.usefixtures("aws")

REGIONS = (EAST, WEST)
CONFIG_ROLE = "AWSServiceRoleForConfig"
STANDARDS = (
    "arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
    "arn:aws:securityhub:{region}::standards/pci-dss/v/4.0.1",
)


def reader(region: str) -> AccountServicesGateway:
    return AccountServicesGateway(boto3.Session(), region)


def turn_on(region: str, *, skip: str = "") -> None:
    """What a landing zone turns on in a region (all but `skip`)."""
    if skip != "guardduty":
        boto3.client("guardduty", region_name=region).create_detector(Enable=True)
    if skip != "securityhub":
        hub = boto3.client("securityhub", region_name=region)
        hub.enable_security_hub(EnableDefaultStandards=False)
        requests = [{"StandardsArn": s.format(region=region)} for s in STANDARDS]
        hub.batch_enable_standards(StandardsSubscriptionRequests=requests if skip != "pci" else requests[:1])
    if skip != "config":
        config = boto3.client("config", region_name=region)
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": f"arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/{CONFIG_ROLE}",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": region == EAST},
            }
        )
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "org-config"})
        config.start_configuration_recorder(ConfigurationRecorderName="default")
    if skip != "macie":
        boto3.client("macie2", region_name=region).enable_macie()
    if skip != "vpc-bpa":
        boto3.client("ec2", region_name=region).modify_vpc_block_public_access_options(
            InternetGatewayBlockMode="block-ingress"
        )


def org_trail() -> None:
    # The landing zone's trail bucket lets CloudTrail write (AWS refuses CreateTrail otherwise).
    account = boto3.client("sts", region_name=EAST).get_caller_identity()["Account"]
    s3 = boto3.client("s3", region_name=EAST)
    s3.create_bucket(Bucket="org-trail")
    statements = trail_bucket_statements(
        "arn:aws:s3:::org-trail", account, f"arn:aws:cloudtrail:{EAST}:{account}:trail/org"
    )
    s3.put_bucket_policy(Bucket="org-trail", Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    trail = boto3.client("cloudtrail", region_name=EAST)
    trail.create_trail(Name="org", S3BucketName="org-trail", IsMultiRegionTrail=True)
    trail.start_logging(Name="org")


def test_preflight__nothing_on_names_every_service_in_every_region() -> None:
    report = verify(REGIONS, reader)
    assert not report.ok
    lines = [m.line() for m in report.missing]
    for region in REGIONS:
        assert f"{region}: GuardDuty: no detector with status ENABLED" in lines
        assert f"{region}: Security Hub: not enabled" in lines
        assert f"{region}: AWS Config: no configuration recorder is recording" in lines
        assert f"{region}: CloudTrail: no multi-region (or organization) trail is logging" in lines
        assert f"{region}: Macie: not enabled" in lines
        assert f"{region}: VPC Block Public Access: mode is off, not block-ingress or block-bidirectional" in lines
    assert len(lines) == 6 * len(REGIONS)


def test_preflight__landing_zone_services_on_passes() -> None:
    org_trail()
    for region in REGIONS:
        turn_on(region)
    report = verify(REGIONS, reader)
    assert report.missing == ()


@pytest.mark.parametrize(
    ("skip", "expected"),
    [
        ("guardduty", "GuardDuty: no detector with status ENABLED"),
        ("pci", "Security Hub: standard PCI DSS v4.0.1 not enabled"),
        ("config", "AWS Config: no configuration recorder is recording"),
        ("macie", "Macie: not enabled"),
        ("vpc-bpa", "VPC Block Public Access: mode is off, not block-ingress or block-bidirectional"),
    ],
)
def test_preflight__one_service_off_in_one_region_is_named(skip: str, expected: str) -> None:
    org_trail()
    turn_on(EAST)
    turn_on(WEST, skip=skip)
    assert [m.line() for m in verify(REGIONS, reader).missing] == [f"{WEST}: {expected}"]


def test_preflight__bpa_exclusions_forbidden_by_a_declarative_policy_are_named() -> None:
    org_trail()
    for region in REGIONS:
        turn_on(region)
    account = boto3.client("sts", region_name=EAST).get_caller_identity()["Account"]
    set_exclusions_not_allowed(account, WEST)
    assert [m.line() for m in verify(REGIONS, reader).missing] == [
        f"{WEST}: VPC Block Public Access: exclusions are not allowed (declarative policy); the public subnets of "
        "the load balancers could not be excluded"
    ]


def test_preflight__bpa_bidirectional_passes() -> None:
    org_trail()
    for region in REGIONS:
        turn_on(region)
    boto3.client("ec2", region_name=WEST).modify_vpc_block_public_access_options(
        InternetGatewayBlockMode="block-bidirectional"
    )
    assert verify(REGIONS, reader).missing == ()


def test_require_landing_zone__exits_1_naming_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    from finstack.commands.preflight import require_landing_zone
    from tests.plan import shipped_config

    config = shipped_config("prod")
    landing = config.model_copy(
        update={"security": config.security.model_copy(update={"account_services": "landing-zone"})}
    )
    with pytest.raises(SystemExit) as exited:
        require_landing_zone(landing, boto3.Session)
    assert exited.value.code == 1
    assert f"{WEST}: Macie: not enabled" in capsys.readouterr().out


def test_require_landing_zone__stack_mode_calls_nothing() -> None:
    from finstack.commands.preflight import require_landing_zone
    from tests.plan import shipped_config

    def no_session() -> None:
        raise AssertionError("stack mode must not call AWS")

    require_landing_zone(shipped_config("prod"), no_session)


# --- finstack check --preflight ------------------------------------------------------------------


def _check(project: Path, tmp_path: Path, *flags: str) -> Result:
    """`finstack check --stack prod` of a clean export, from `project`, with the test pack."""
    from finstack.cli import FinstackGroup
    from finstack.commands.check import check
    from tests.check.conftest import TESTPACK, clean_export, write_json

    export = write_json(tmp_path / "plan.json", clean_export())
    config = write_json(tmp_path / "config.prod.json", {})
    args = ["check", "--stack", "prod", "--policy-pack", str(TESTPACK), "--policy-pack-config", str(config)]
    cwd = Path.cwd()
    try:
        os.chdir(project)
        cli = FinstackGroup(commands={"check": check})
        return CliRunner().invoke(cli, [*args, "--export", str(export), *flags], catch_exceptions=False)
    finally:
        os.chdir(cwd)


def _project(tmp_path: Path, account_services: str) -> Path:
    """The shipped project with prod's finstack:security.accountServices set to `account_services`."""
    from tests.plan import PROJECT_DIR

    project = tmp_path / "project"
    project.mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    stack["config"]["finstack:security"]["accountServices"] = account_services
    (project / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack))
    return project


def test_check_preflight__landing_zone_without_services_exits_1_naming_them(tmp_path: Path) -> None:
    result = _check(_project(tmp_path, "landing-zone"), tmp_path, "--preflight")
    # The plan itself passes; the account it would deploy into does not.
    assert result.exit_code == 1, result.stderr
    assert f"{WEST}: Macie: not enabled" in result.stderr
    assert f"{EAST}: CloudTrail: no multi-region (or organization) trail is logging" in result.stderr


def test_check_preflight__landing_zone_with_services_on_exits_0(tmp_path: Path) -> None:
    org_trail()
    for region in REGIONS:
        turn_on(region)
    result = _check(_project(tmp_path, "landing-zone"), tmp_path, "--preflight")
    assert result.exit_code == 0, result.stderr
    assert f"every account-level service is on in {EAST}, {WEST}" in result.stderr


def test_check_preflight__opt_in_only_and_nothing_to_verify_in_stack_mode(tmp_path: Path) -> None:
    # Without the flag a landing-zone stack's check makes no AWS call and judges the plan alone.
    assert _check(_project(tmp_path, "landing-zone"), tmp_path).exit_code == 0
    result = _check(_project(tmp_path / "stack", "stack"), tmp_path, "--preflight")
    assert result.exit_code == 0
    assert "accountServices is stack; the stack declares them, nothing to verify" in result.stderr
