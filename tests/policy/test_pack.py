"""The pack as a whole: it builds and serves, every policy is documented and mapped, configs are coherent."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import jsonschema
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from infra.jurisdictions import JURISDICTIONS
from policy.rules import ALL_POLICIES, COST_DRIVEN, PACK_NAME
from policy.rules._util import PCI_REQUIREMENTS, plain
from tests.policy import factories as f
from tests.policy.helpers import check, check_stack, edit, urn

ROOT = Path(__file__).resolve().parents[2]
POLICY_DIR = ROOT / "policy"
STACKS = ("prod", "dev")
NAMES = [p.name for p in ALL_POLICIES]

# Encryption and exposure rules: mandatory in every stack, whatever it costs.
NEVER_ADVISORY = {
    p.name
    for p in ALL_POLICIES
    if any(t in (p.tags or []) for t in ("domain:encryption", "domain:transit", "domain:network", "domain:identity"))
}


def load_config(stack: str) -> dict[str, Any]:
    return json.loads((POLICY_DIR / f"config.{stack}.json").read_text())


def level_of(entry: Any) -> str:
    return entry if isinstance(entry, str) else entry["enforcementLevel"]


def properties_of(entry: Any) -> dict[str, Any]:
    return {} if isinstance(entry, str) else {k: v for k, v in entry.items() if k != "enforcementLevel"}


def pulumi_stack(stack: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


# --- building and serving -------------------------------------------------------------------------

RECORD_PACK = """
import json, runpy, sys
import pulumi_policy

def record(**kwargs):
    print(json.dumps({"name": kwargs["name"], "policies": [p.name for p in kwargs["policies"]],
                      "level": kwargs["enforcement_level"].value}))

pulumi_policy.PolicyPack = record
runpy.run_path(sys.argv[1], run_name="__main__")  # what `pulumi` does with a policy pack folder
"""


def test_pack__main_builds_the_pack_as_the_cli_runs_it():
    result = subprocess.run(
        [sys.executable, "-c", RECORD_PACK, str(POLICY_DIR)], capture_output=True, text=True, cwd="/", check=True
    )
    assert json.loads(result.stdout) == {"name": PACK_NAME, "policies": NAMES, "level": "mandatory"}


def test_pack__main_serves_the_analyzer_protocol():
    # Given the pack started the way `finstack check` and the engine start it
    server = subprocess.Popen(
        [sys.executable, str(POLICY_DIR / "__main__.py")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        # When the engine asks for the analyzer info
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        # Then every policy is announced with its level, severity and PCI DSS mapping
        assert info.name == PACK_NAME
        assert [p.name for p in info.policies] == NAMES
        storage = next(p for p in info.policies if p.name == "aurora-storage-encrypted")
        assert (storage.enforcementLevel, storage.severity) == (proto.MANDATORY, proto.POLICY_SEVERITY_CRITICAL)
        assert (storage.framework.name, storage.framework.version, storage.framework.reference) == (
            "PCI DSS",
            "4.0.1",
            "3.5.1",
        )
        assert list(storage.tags)[:6] == [
            "domain:encryption",
            "pci-dss:3.5.1",
            "soc2:CC6.1",
            "soc2:CC6.7",
            "gdpr:art32",
            "dora:art9",
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- metadata --------------------------------------------------------------------------------------


def test_pack__policy_names_are_unique_kebab_case():
    assert len(set(NAMES)) == len(NAMES)
    assert [n for n in NAMES if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", n)] == []


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=NAMES)
def test_pack__policy_is_documented_and_mapped(policy):
    description = policy.description
    assert re.fullmatch(r"[A-Z].*\.", description) and ". " not in description, "one sentence ending with a period"
    assert policy.enforcement_level is EnforcementLevel.MANDATORY
    assert policy.severity is not None
    assert policy.remediation_steps
    framework = policy.framework
    assert (framework.name, framework.version) == ("PCI DSS", "4.0.1")
    assert framework.reference in PCI_REQUIREMENTS and framework.specification == PCI_REQUIREMENTS[framework.reference]
    tags = policy.tags or []
    assert tags[0].startswith("domain:") and f"pci-dss:{framework.reference}" in tags
    assert any(t.startswith("soc2:") for t in tags)
    assert any(t.startswith("dora:art") for t in tags)
    assert "waivers" in policy.config_schema.properties


# --- config files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_config__lists_exactly_the_pack_policies(stack):
    assert list(load_config(stack)) == NAMES


@pytest.mark.parametrize("stack", STACKS)
def test_config__properties_match_each_policy_schema(stack):
    # The engine validates each policy's properties against {"type": "object", "properties": ...}.
    config = load_config(stack)
    for policy in ALL_POLICIES:
        schema = {"type": "object", "properties": policy.config_schema.properties}
        jsonschema.validate(properties_of(config[policy.name]), schema)
        assert set(properties_of(config[policy.name])) <= set(policy.config_schema.properties), policy.name


def test_config__prod_is_all_mandatory():
    assert {name: level_of(entry) for name, entry in load_config("prod").items()} == dict.fromkeys(NAMES, "mandatory")


def test_config__dev_relaxes_only_cost_driven_policies():
    advisory = {name for name, entry in load_config("dev").items() if level_of(entry) != "mandatory"}
    assert advisory <= COST_DRIVEN
    assert advisory & NEVER_ADVISORY == set()
    assert {level_of(e) for e in load_config("dev").values()} <= {"mandatory", "advisory"}


def test_config__cost_driven_policies_are_not_security_controls():
    assert set() == COST_DRIVEN & NEVER_ADVISORY
    assert set(NAMES) >= COST_DRIVEN


@pytest.mark.parametrize("stack", STACKS)
def test_config__allowed_regions_are_the_stack_jurisdiction(stack):
    jurisdiction = pulumi_stack(stack)["finstack:residency"]
    for policy_name in ("resource-region-in-jurisdiction", "provider-region-in-jurisdiction"):
        allowed = load_config(stack)[policy_name]["allowedRegions"]
        assert sorted(allowed) == sorted(JURISDICTIONS[jurisdiction]), policy_name


@pytest.mark.parametrize("stack", STACKS)
def test_config__written_for_its_own_stack_and_environment(stack):
    settings = properties_of(load_config(stack)["policy-config-matches-stack"])
    assert (settings["stack"], settings["environment"]) == (stack, pulumi_stack(stack)["finstack:environment"])


@pytest.mark.parametrize("stack", STACKS)
def test_config__eks_endpoint_settings_follow_the_stack(stack):
    settings = properties_of(load_config(stack)["eks-endpoint-access-restricted"])
    eks = pulumi_stack(stack)["finstack:eks"]
    assert settings["environment"] == pulumi_stack(stack)["finstack:environment"]
    assert settings["allowedPublicAccessCidrs"] == eks.get("publicAccessCidrs", [])


@pytest.mark.parametrize("stack", STACKS)
def test_config__retention_minimum_admits_the_stack_setting(stack):
    minimum = properties_of(load_config(stack)["cloudwatch-log-group-retention"])["minimumRetentionDays"]
    assert minimum <= pulumi_stack(stack)["finstack:logRetentionDays"]
    assert stack != "prod" or minimum >= 365


# --- through the SDK's own analyzer servicer --------------------------------------------------------


def _servicer(stack: str) -> _PolicyAnalyzerServicer:
    servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", ALL_POLICIES, EnforcementLevel.MANDATORY)
    request = proto.ConfigureAnalyzerRequest()
    levels = {"mandatory": proto.MANDATORY, "advisory": proto.ADVISORY}
    for name, entry in load_config(stack).items():
        properties = struct_pb2.Struct()
        properties.update(properties_of(entry))
        request.policyConfig[name].CopyFrom(
            proto.PolicyConfig(enforcementLevel=levels[level_of(entry)], properties=properties)
        )
    servicer.Configure(request, None)
    return servicer


def _analyze(servicer: _PolicyAnalyzerServicer, type_: str, props: dict[str, Any], name: str = "subject") -> list:
    properties = struct_pb2.Struct()
    properties.update(props)
    request = proto.AnalyzeRequest(type=type_, properties=properties, urn=urn(type_, name), name=name)
    return list(servicer.Analyze(request, None).diagnostics)


def test_servicer__dev_config_admits_allow_listed_public_endpoint():
    props = edit(
        f.eks_cluster(), {"vpcConfig.endpointPublicAccess": True, "vpcConfig.publicAccessCidrs": ["203.0.113.0/24"]}
    )
    assert [d.policyName for d in _analyze(_servicer("dev"), f.T_EKS, props)] == []
    diagnostics = _analyze(_servicer("prod"), f.T_EKS, props)
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("eks-endpoint-access-restricted", proto.MANDATORY)
    ]
    assert diagnostics[0].message.endswith("\nEKS cluster vpcConfig.endpointPublicAccess must be false in prod.")


def test_servicer__dev_reports_cost_driven_finding_as_advisory():
    props = edit(f.aurora_cluster(), {"backupRetentionPeriod": 1, "deletionProtection": False})
    diagnostics = _analyze(_servicer("dev"), f.T_CLUSTER, props)
    assert sorted((d.policyName, d.enforcementLevel) for d in diagnostics) == [
        ("aurora-backup-retention", proto.ADVISORY),
        ("aurora-deletion-protection-enabled", proto.ADVISORY),
    ]


def test_servicer__deferred_document_is_advisory_at_preview():
    props = {"name": "workload", "policy": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
    diagnostics = _analyze(_servicer("prod"), f.T_POLICY, props)
    assert {(d.policyName, d.enforcementLevel) for d in diagnostics} == {
        ("iam-no-wildcard-actions", proto.ADVISORY),
        ("iam-data-actions-scoped", proto.ADVISORY),
        ("iam-no-privilege-escalation", proto.ADVISORY),
        ("iam-no-admin-policies", proto.ADVISORY),
    }
    assert all("can't be known during preview" in d.message for d in diagnostics)


# --- the compliant stack passes everything -----------------------------------------------------------


def test_pack__compliant_stack_passes_every_policy_under_prod_config(monkeypatch):
    # As the engine starts the pack for stack prod (policy-config-matches-stack reads these)
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"finstack:environment": "prod"}))
    config = load_config("prod")
    stack = f.compliant_stack()
    found = []
    for policy in ALL_POLICIES:
        properties = properties_of(config[policy.name])
        if isinstance(policy, StackValidationPolicy):
            found += [(policy.name, m) for m, _ in check_stack(policy.name, stack.resources, config=properties)]
        else:
            assert isinstance(policy, ResourceValidationPolicy)
            for r in stack.resources:
                props = plain(r.props)
                found += [
                    (policy.name, r.name, m)
                    for m in check(policy.name, r.resource_type, props, name=r.name, config=properties)
                ]
    assert found == []


def test_readme__kind_and_bites_follow_each_policys_class():
    readme = (POLICY_DIR / "README.md").read_text()
    table = readme[readme.index("## Policies") : readme.index("## Coverage")]
    rows = {
        line.split(" | ")[0].strip("| `"): line.split(" | ") for line in table.splitlines() if line.startswith("| `")
    }
    wrong = {}
    for policy in ALL_POLICIES:
        kind, bites = rows[policy.name][1], rows[policy.name][2]
        if isinstance(policy, StackValidationPolicy):
            expected = ("stack", ("preview, else after up",))
        else:
            expected = ("resource", ("preview", "before create"))
        if kind != expected[0] or bites not in expected[1]:
            wrong[policy.name] = (kind, bites)
    assert wrong == {}


def test_readme__documents_every_policy():
    readme = (POLICY_DIR / "README.md").read_text()
    assert [n for n in NAMES if f"| `{n}` |" not in readme] == []
