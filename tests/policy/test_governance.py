"""policy-config-matches-stack: the pack runs a stack only with the config written for it."""

from __future__ import annotations

import json

import pytest

from tests.policy import factories as f
from tests.policy.helpers import check_stack

POLICY = "policy-config-matches-stack"
PROD_CONFIG = {"stack": "prod", "environment": "prod"}


@pytest.fixture
def running(monkeypatch: pytest.MonkeyPatch):
    """Set what the engine tells the pack: PULUMI_STACK and the stack config in PULUMI_CONFIG."""

    def run_as(stack: str | None, environment: str | None) -> None:
        if stack is None:
            monkeypatch.delenv("PULUMI_STACK", raising=False)
        else:
            monkeypatch.setenv("PULUMI_STACK", stack)
        config = {} if environment is None else {"finstack:environment": environment, "aws:region": "us-east-1"}
        monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))

    return run_as


def test_config_matches_stack__config_written_for_the_stack_passes(running):
    running("prod", "prod")
    assert check_stack(POLICY, f.compliant_stack().resources, config=PROD_CONFIG) == []


def test_config_matches_stack__dev_config_on_prod_fails(running):
    running("prod", "prod")
    assert check_stack(POLICY, f.compliant_stack().resources, config={"stack": "dev", "environment": "dev"}) == [
        (
            "Policy config must be written for stack prod: it was written for stack dev; "
            "pass --policy-pack-config policy/config.prod.json.",
            None,
        ),
        (
            "Policy config must be written for environment prod: it was written for dev; "
            "pass --policy-pack-config policy/config.prod.json.",
            None,
        ),
    ]


def test_config_matches_stack__no_config_fails(running):
    running("prod", "prod")
    assert check_stack(POLICY, f.compliant_stack().resources, config={}) == [
        (
            "Policy config must name the stack it was written for (policy-config-matches-stack.stack); "
            "pass --policy-pack-config policy/config.prod.json.",
            None,
        ),
        (
            "Policy config must be written for environment prod: it was written for no environment; "
            "pass --policy-pack-config policy/config.prod.json.",
            None,
        ),
    ]


def test_config_matches_stack__same_stack_name_other_environment_fails(running):
    # A stack called prod whose config says dev: the config's dev relaxations must not apply to it
    running("prod", "dev")
    assert check_stack(POLICY, f.compliant_stack().resources, config=PROD_CONFIG) == [
        (
            "Policy config must be written for environment dev: it was written for prod; "
            "pass --policy-pack-config policy/config.prod.json.",
            None,
        )
    ]


def test_config_matches_stack__unknown_stack_fails_closed(running):
    running(None, "prod")
    assert check_stack(POLICY, f.compliant_stack().resources, config=PROD_CONFIG) == [
        (
            "Policy pack must know the stack it checks: PULUMI_STACK is not set; run it through "
            "`pulumi preview --policy-pack` or `finstack check`.",
            None,
        )
    ]


@pytest.mark.parametrize("raw", ["", "not json", json.dumps({"aws:region": "us-east-1"}), json.dumps(["x"])])
def test_config_matches_stack__stack_without_environment_fails(running, monkeypatch, raw):
    running("prod", None)
    monkeypatch.setenv("PULUMI_CONFIG", raw)
    assert check_stack(POLICY, f.compliant_stack().resources, config=PROD_CONFIG) == [
        ("Stack prod must set finstack:environment so the pack can match its policy config.", None)
    ]
