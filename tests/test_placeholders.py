"""Placeholders (documentation accounts, ranges and domains) never reach a real deployment."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi.runtime.mocks import MockResourceArgs

from finstack.engine.fake_cloud import OFFLINE_ACCOUNT_ID, FakeCloud
from finstack.engine.runner import ProgramError, run_program
from finstack.project import StackFiles, load_stack
from infra.config import StackConfig, load_stack_config
from infra.placeholders import (
    DOCUMENTATION_ACCOUNT_IDS,
    documentation_network,
    is_documentation_account,
    placeholder_problems,
    reserved_domain,
)
from tests.plan import PROJECT_DIR
from tests.test_config import shipped

#: Not a documentation id: what a real account looks like to the program.
REAL_ACCOUNT = "210987654321"


def real_looking(stack: str) -> dict[str, Any]:
    """A shipped stack's config with every placeholder replaced by a value a real deployment could use."""
    raw = copy.deepcopy(shipped(stack))
    raw["finstack:domain"] = "payments.acme-bank.io" if stack == "prod" else "dev.payments.acme-bank.io"
    eks = raw["finstack:eks"]
    eks["adminRoleArn"] = f"arn:aws:iam::{REAL_ACCOUNT}:role/platform-admin"
    if "readonlyRoleArn" in eks:
        eks["readonlyRoleArn"] = f"arn:aws:iam::{REAL_ACCOUNT}:role/platform-readonly"
    if eks.get("publicAccessCidrs"):
        eks["publicAccessCidrs"] = ["198.18.0.0/24"]  # benchmarking space, not a documentation range
    return raw


def config_with(edit: Callable[[dict[str, Any]], None], stack: str = "dev") -> StackConfig:
    raw = real_looking(stack)
    edit(raw)
    return load_stack_config(raw)


# -- pure rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_placeholder_problems__real_looking_config_has_none(stack: str) -> None:
    assert placeholder_problems(load_stack_config(real_looking(stack))) == []


@pytest.mark.parametrize("account", DOCUMENTATION_ACCOUNT_IDS)
@pytest.mark.parametrize("field", ["adminRoleArn", "readonlyRoleArn"])
def test_placeholder_problems__role_in_a_documentation_account(account: str, field: str) -> None:
    arn = f"arn:aws:iam::{account}:role/ops"
    config = config_with(lambda raw: raw["finstack:eks"].update({field: arn}))
    assert placeholder_problems(config) == [
        f"finstack:eks.{field}: {arn} names the AWS documentation account {account}; set the role of your account"
    ]


@pytest.mark.parametrize("account", DOCUMENTATION_ACCOUNT_IDS)
def test_placeholder_problems__approver_role_in_a_documentation_account(account: str) -> None:
    arn = f"arn:aws:iam::{account}:role/dr-approvers"
    config = config_with(lambda raw: raw["finstack:traffic"].update({"approverRoleArn": arn}), "prod")
    assert placeholder_problems(config) == [
        f"finstack:traffic.approverRoleArn: {arn} names the AWS documentation account {account}; "
        "set the role of your account"
    ]


@pytest.mark.parametrize(
    ("cidr", "block"),
    [
        ("192.0.2.0/24", "TEST-NET-1 (RFC 5737)"),
        ("198.51.100.128/25", "TEST-NET-2 (RFC 5737)"),
        ("203.0.113.7/32", "TEST-NET-3 (RFC 5737)"),
    ],
)
def test_placeholder_problems__public_access_from_a_documentation_range(cidr: str, block: str) -> None:
    config = config_with(lambda raw: raw["finstack:eks"].update(publicAccessCidrs=["198.18.0.0/24", cidr]))
    assert placeholder_problems(config) == [
        f"finstack:eks.publicAccessCidrs[1]: {cidr} is {block}, a documentation range no client comes from; "
        "list your office/VPN CIDRs, or none for a private endpoint"
    ]


def test_documentation_network__ipv6_documentation_prefix_and_neighbours() -> None:
    assert documentation_network("2001:db8:1::/48") == "the IPv6 documentation prefix (RFC 3849)"
    # A block that merely contains a documentation range also holds real addresses: not a placeholder.
    assert documentation_network("203.0.0.0/16") is None
    assert documentation_network("2001:db9::/32") is None


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("example.com", "is reserved for documentation (RFC 2606)"),
        ("pay.example.org", "is under example.org, which is reserved for documentation (RFC 2606)"),
        ("api.example.net", "is under example.net, which is reserved for documentation (RFC 2606)"),
        ("pay.example", "is under example, which is a top-level domain reserved for documentation (RFC 2606)"),
        ("ledger.test", "is under test, which is a top-level domain reserved for testing (RFC 2606)"),
        ("ledger.invalid", "is under invalid, which is a top-level domain reserved as invalid (RFC 2606)"),
        (
            "pay.localhost",
            "is under localhost, which is a top-level domain reserved for loopback (RFC 2606, RFC 6761)",
        ),
    ],
)
def test_placeholder_problems__reserved_domain(domain: str, expected: str) -> None:
    config = config_with(lambda raw: raw.update({"finstack:domain": domain}))
    assert placeholder_problems(config) == [
        f"finstack:domain: {domain} {expected} and cannot be delegated to you; set a domain you own"
    ]


@pytest.mark.parametrize("domain", ["myexample.com", "example.com.au", "pay.examples.org", "contest.io"])
def test_reserved_domain__look_alikes_are_real_domains(domain: str) -> None:
    assert reserved_domain(domain) is None


@given(st.from_regex(r"[0-9]{12}", fullmatch=True))
def test_is_documentation_account__only_the_listed_ids(account: str) -> None:
    assert is_documentation_account(account) == (account in DOCUMENTATION_ACCOUNT_IDS)


def test_documentation_accounts__include_the_offline_and_emulated_accounts() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID

    assert is_documentation_account(OFFLINE_ACCOUNT_ID) and is_documentation_account(DEFAULT_ACCOUNT_ID)


@pytest.mark.parametrize(
    ("stack", "keys"),
    [
        ("dev", ["finstack:eks.adminRoleArn", "finstack:eks.publicAccessCidrs[0]", "finstack:domain"]),
        ("prod", ["finstack:eks.adminRoleArn", "finstack:eks.readonlyRoleArn", "finstack:domain"]),
    ],
)
def test_placeholder_problems__shipped_stacks_hold_placeholders(stack: str, keys: list[str]) -> None:
    problems = placeholder_problems(load_stack_config(shipped(stack)))
    assert [p.split(": ", 1)[0] for p in problems] == keys, problems


# -- the program refuses before declaring anything -------------------------------------------------


class RecordingFakeCloud(FakeCloud):
    """FakeCloud in a given account that notes the type of every registration it answers."""

    def __init__(self, default_region: str, account_id: str) -> None:
        super().__init__(default_region=default_region, account_id=account_id)
        self.registered: list[str] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(f"{args.typ}::{args.name}")
        return super().new_resource(args)


def stack_files(stack: str, raw: dict[str, Any] | None = None) -> StackFiles:
    files = load_stack(stack, PROJECT_DIR)
    if raw is None:
        return files
    return StackFiles(files.project_dir, files.project, files.stack, files.config_file, raw)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program__shipped_stack_in_a_real_account_is_refused_before_any_resource(stack: str) -> None:
    # Given the shipped stack, deployed into an account that is not a documentation account
    cloud = RecordingFakeCloud("us-east-1", account_id=REAL_ACCOUNT)

    # When the program runs
    with pytest.raises(ProgramError) as caught:
        run_program(stack_files(stack), mocks=cloud)

    # Then it names the account and every placeholder key, and only the provider was registered
    lines = str(caught.value).splitlines()
    expected = f"placeholder values would reach AWS account {REAL_ACCOUNT}; replace them before deploying:"
    assert lines[0] == expected, lines
    assert lines[1:] == placeholder_problems(load_stack_config(shipped(stack))), lines
    assert cloud.registered == ["pulumi:providers:aws::aws"], cloud.registered


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_program__real_values_in_a_real_account_deploy(stack: str) -> None:
    cloud = RecordingFakeCloud("us-east-1", account_id=REAL_ACCOUNT)
    run = run_program(stack_files(stack, real_looking(stack)), mocks=cloud)
    assert any(r.type == "aws:rds/globalCluster:GlobalCluster" for r in run.records), stack
    assert len(cloud.registered) > 100, cloud.registered


@pytest.mark.parametrize("account", [OFFLINE_ACCOUNT_ID, "123456789012"])
def test_program__placeholders_in_a_documentation_account_deploy(account: str) -> None:
    # The offline engine's account and the emulator's (moto's default): the shipped stacks run there.
    run = run_program(stack_files("dev"), mocks=RecordingFakeCloud("us-east-1", account_id=account))
    assert any(r.type == "aws:eks/cluster:Cluster" for r in run.records)
