"""Governance: the pack checks a stack only with the policy config written for that stack.

The config file is the one place a stack relaxes anything (dev runs the cost-driven policies as
advisory, allows its office CIDR on the EKS endpoint, keeps logs for 7 days). Running prod with
`config.dev.json`, or with a hand-written config, must not relax prod silently, so each config
names the stack and environment it was written for, and this policy compares them with the
stack being checked: the Pulumi CLI starts a policy pack with `PULUMI_STACK` and the stack's
config as JSON in `PULUMI_CONFIG` (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go,
`constructEnv`), and `finstack check` does the same (finstack/check/pack.py). A config without
these settings, or no config at all, fails: the pack cannot tell what it was written for.
"""

from __future__ import annotations

import os

from pulumi_policy import ReportViolation, Severity, StackValidationArgs

from ._util import Compliance, Setting, settings, stack_config, stack_policy

DOMAIN = "governance"

# The stack config key that names a stack's environment (infra/config.py `environment`).
ENVIRONMENT_KEY = "finstack:environment"

CONFIG_FOR = {
    "stack": Setting({"type": "string", "default": "", "description": "The stack this policy config was written for."}),
    "environment": Setting(
        {
            "type": "string",
            "default": "",
            "description": f"The environment ({ENVIRONMENT_KEY}) of the stack this policy config was written for.",
        }
    ),
}


def stack_environment() -> str | None:
    """`finstack:environment` from the stack config the engine passed in PULUMI_CONFIG, if any."""
    value = stack_config().get(ENVIRONMENT_KEY)
    return value if isinstance(value, str) and value else None


def validate_config_matches_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """The policy config names the stack and environment being checked."""
    written_for = settings(args, CONFIG_FOR)
    stack = os.environ.get("PULUMI_STACK", "")
    environment = stack_environment()
    if not stack:
        report_violation(
            "Policy pack must know the stack it checks: PULUMI_STACK is not set; run it through "
            "`pulumi preview --policy-pack` or `finstack check`.",
            None,
        )
        return
    remedy = f"pass --policy-pack-config policy/config.{stack}.json"
    if not written_for["stack"]:
        report_violation(
            f"Policy config must name the stack it was written for (policy-config-matches-stack.stack); {remedy}.",
            None,
        )
    elif written_for["stack"] != stack:
        report_violation(
            f"Policy config must be written for stack {stack}: it was written for stack "
            f"{written_for['stack']}; {remedy}.",
            None,
        )
    if environment is None:
        report_violation(f"Stack {stack} must set {ENVIRONMENT_KEY} so the pack can match its policy config.", None)
    elif written_for["environment"] != environment:
        report_violation(
            f"Policy config must be written for environment {environment}: it was written for "
            f"{written_for['environment'] or 'no environment'}; {remedy}.",
            None,
        )


POLICIES = [
    stack_policy(
        name="policy-config-matches-stack",
        description="The policy config must be the one written for the stack and environment being checked.",
        validate=validate_config_matches_stack,
        domain=DOMAIN,
        severity=Severity.CRITICAL,
        compliance=Compliance(pci=("2.2.1",), soc2=("CC8.1",), gdpr=("art32",), controls=("FIN-POLICY-CONFIG",)),
        remediation=(
            "Run the pack with policy/config.<stack>.json: pulumi preview --policy-pack policy "
            "--policy-pack-config policy/config.<stack>.json (finstack check picks it by default). A new stack "
            "needs its own config file with policy-config-matches-stack set to its stack and environment."
        ),
        config=CONFIG_FOR,
    ),
]
