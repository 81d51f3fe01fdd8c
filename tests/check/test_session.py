"""The analyzer protocol round trip against the fixture pack: what the pack sees and what comes back."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from finstack.check import pack as pack_module
from finstack.check.pack import PolicyPackError
from finstack.check.report import CheckReport, SourceRef
from finstack.check.session import AnalyzerSession
from finstack.engine.export import UNKNOWN
from finstack.errors import UsageError
from finstack.project import StackFiles
from tests.check.conftest import (
    GLOBAL_URN,
    PROVIDER_URN,
    ROOT_URN,
    TESTPACK,
    clean_export,
    cluster_urn,
    edited,
    files_with,
    resource,
    write_json,
    write_pack,
)


def found(report: CheckReport) -> set[tuple[str, str, str]]:
    return {(v.policy, v.enforcement_level, v.urn) for v in report.violations}


def test_check__clean_export_has_no_violations(testpack_session: AnalyzerSession) -> None:
    report = testpack_session.check(clean_export())
    assert report.violations == ()
    assert report.exit_code == 0
    assert report.resources_checked == len(clean_export()["resources"])


def test_check__resource_violation_carries_policy_metadata_and_source(testpack_session: AnalyzerSession) -> None:
    # Given one cluster with storage encryption off
    export = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    # When it is checked
    report = testpack_session.check(export)
    # Then exactly that cluster fails the mandatory policy, with the pack's metadata attached
    assert found(report) == {("aurora-storage-encrypted", "mandatory", cluster_urn("aurora-use1"))}
    (violation,) = report.violations
    assert violation.message == "Aurora clusters must encrypt storage at rest."
    assert violation.description == "Aurora clusters encrypt storage at rest."
    assert (violation.pack, violation.pack_version) == ("finstack-testpack", "0.3.0")
    assert violation.severity == "critical"
    assert violation.type == "aws:rds/cluster:Cluster" and violation.name == "aurora-use1"
    assert violation.source == SourceRef("components/aurora_global.py", 405)
    assert violation.framework is not None and violation.framework.reference == "3.5.1"
    assert report.exit_code == 1


def test_check__stack_policy_names_the_resource_or_the_root_stack(testpack_session: AnalyzerSession) -> None:
    # Given the us-west-2 member left out of the global cluster and moved to us-east-1
    export = edited(clean_export(), cluster_urn("aurora-usw2"), globalClusterIdentifier="", region="us-east-1")
    report = testpack_session.check(export)
    # Then the stack policy reports the cluster by URN, and the region count against the stack
    assert found(report) == {
        ("aurora-global-cluster", "mandatory", cluster_urn("aurora-usw2")),
        ("aurora-global-cluster", "mandatory", ROOT_URN),
    }
    stack_level = next(v for v in report.violations if v.urn == ROOT_URN)
    assert stack_level.message == "The Aurora global cluster must span at least two regions."
    assert stack_level.type == "pulumi:pulumi:Stack" and stack_level.source is None


def test_check__stack_policy_sees_dependencies(testpack_session: AnalyzerSession) -> None:
    # Given a cluster that names the global cluster but does not depend on it
    export = clean_export()
    member = next(r for r in export["resources"] if r["urn"] == cluster_urn("aurora-use1"))
    member["dependencies"] = []
    report = testpack_session.check(export)
    assert found(report) == {("aurora-global-cluster", "mandatory", cluster_urn("aurora-use1"))}


def test_check__explicit_provider_properties_reach_the_pack(testpack_session: AnalyzerSession) -> None:
    export = edited(clean_export(), PROVIDER_URN, region="eu-west-1")
    report = testpack_session.check(export)
    violations = [v for v in report.violations if v.policy == "provider-region-allowed"]
    # Every resource deployed through that provider, and none other, is reported
    assert {v.urn for v in violations} == {GLOBAL_URN, cluster_urn("aurora-use1"), cluster_urn("aurora-usw2")}
    assert violations[0].message == (
        "Providers must target an allowed region (eu-west-1 is not one of us-east-1, us-west-2)."
    )


def test_check__default_provider_is_built_from_stack_config(prod_files: StackFiles) -> None:
    # Given a resource without an explicit provider, in a stack whose aws:region is outside the allowed list
    export = clean_export()
    export["resources"].append(
        resource("urn:pulumi:prod::finstack::aws:sns/topic:Topic::alerts", {"tags": {"owner": "x"}}, provider=None)
    )
    with AnalyzerSession(TESTPACK, files_with(prod_files, **{"aws:region": "eu-central-1"}), None) as session:
        report = session.check(export)
    # Then the engine's default provider (region from aws:region) is what the policy sees
    assert found(report) == {
        ("provider-region-allowed", "mandatory", "urn:pulumi:prod::finstack::aws:sns/topic:Topic::alerts")
    }
    # and, as under the engine, the default provider is itself a checked resource
    assert report.resources_checked == len(export["resources"]) + 1


def test_check__unknown_input_reaches_the_pack_as_unknown(testpack_session: AnalyzerSession) -> None:
    # Given an input only known at `up`
    export = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=UNKNOWN)
    report = testpack_session.check(export)
    # Then the SDK cannot run the policy during preview: an advisory note, not a pass or a failure
    (violation,) = report.violations
    assert (violation.policy, violation.enforcement_level, violation.urn) == (
        "aurora-storage-encrypted",
        "advisory",
        cluster_urn("aurora-use1"),
    )
    assert "can't run policy 'aurora-storage-encrypted'" in violation.message
    assert "during preview" in violation.message


def test_check__session_is_reusable_across_exports(testpack_session: AnalyzerSession) -> None:
    bad = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    assert testpack_session.check(bad).exit_code == 1
    assert testpack_session.check(clean_export()).exit_code == 0
    assert testpack_session.check(bad).exit_code == 1


def test_configure__config_levels_and_properties_override_defaults(prod_files: StackFiles, tmp_path: Path) -> None:
    # Given a config that relaxes one policy, tightens another and changes its properties
    config = write_json(
        tmp_path / "config.prod.json",
        {
            "aurora-storage-encrypted": "advisory",
            "resource-tags-required": {"enforcementLevel": "mandatory", "requiredTags": ["owner", "dataClass"]},
        },
    )
    export = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    with AnalyzerSession(TESTPACK, prod_files, config) as session:
        report = session.check(export)
    levels = {p.name: (p.default_level, p.enforcement_level) for p in report.packs[0].policies}
    # Then the pack enforces the configured levels, and the policy reads the configured properties
    assert levels["aurora-storage-encrypted"] == ("mandatory", "advisory")
    assert levels["resource-tags-required"] == ("advisory", "mandatory")
    assert levels["provider-region-allowed"] == ("mandatory", "mandatory")
    assert ("aurora-storage-encrypted", "advisory", cluster_urn("aurora-use1")) in found(report)
    tags = [v for v in report.violations if v.policy == "resource-tags-required"]
    assert {v.enforcement_level for v in tags} == {"mandatory"}
    assert {v.message for v in tags} == {"Resources must carry the tags dataClass."}


def test_configure__all_key_sets_every_level(prod_files: StackFiles, tmp_path: Path) -> None:
    config = write_json(tmp_path / "c.json", {"all": "disabled"})
    export = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False, tags={})
    with AnalyzerSession(TESTPACK, prod_files, config) as session:
        report = session.check(export)
    assert report.violations == ()
    assert {p.enforcement_level for p in report.packs[0].policies} == {"disabled"}


def test_configure__schema_violation_is_a_usage_error_naming_the_property(
    prod_files: StackFiles, tmp_path: Path
) -> None:
    config = write_json(tmp_path / "c.json", {"provider-region-allowed": {"allowedRegions": []}})
    with AnalyzerSession(TESTPACK, prod_files, config) as session, pytest.raises(UsageError) as caught:
        session.check(clean_export())
    assert "c.json: provider-region-allowed.allowedRegions" in str(caught.value)


def test_configure__waivers_in_config_are_reported(prod_files: StackFiles, tmp_path: Path) -> None:
    waiver = {
        "resource": "aurora-use1",
        "owner": "data-team",
        "approver": "ciso-office",
        "approved": "2026-12-01",
        "expires": "2027-03-31",
        "reason": "tag backfill",
        "ticket": "RISK-42",
    }
    config = write_json(tmp_path / "c.json", {"resource-tags-required": {"waivers": [waiver]}})
    with AnalyzerSession(TESTPACK, prod_files, config) as session:
        report = session.check(clean_export())
    (listed,) = report.waivers
    assert (listed.policy, listed.target, listed.owner, listed.expires, listed.reason, listed.ticket) == (
        "resource-tags-required",
        "aurora-use1",
        "data-team",
        "2027-03-31",
        "tag backfill",
        "RISK-42",
    )
    # resolved to the one resource of that name, for the SARIF suppression's location
    assert (listed.approver, listed.approved, listed.urn) == ("ciso-office", "2026-12-01", cluster_urn("aurora-use1"))
    assert listed.source is not None and listed.source.line == 405


def test_configure__waiver_naming_resources_of_two_types_is_a_usage_error(
    prod_files: StackFiles, tmp_path: Path
) -> None:
    # Given a waiver by logical name, and a plan where a global cluster shares that name with a member
    export = clean_export()
    namesake = resource(GLOBAL_URN.rsplit("::", 1)[0] + "::aurora-use1", {"storageEncrypted": True})
    export["resources"].append(namesake)
    waiver = {"resource": "aurora-use1", "owner": "a", "approver": "b", "approved": "2026-12-01"}
    config = write_json(tmp_path / "c.json", {"resource-tags-required": {"waivers": [waiver]}})
    # When the plan is checked, Then the waiver is refused before any resource is analyzed
    with AnalyzerSession(TESTPACK, prod_files, config) as session, pytest.raises(UsageError) as caught:
        session.check(export)
    assert str(caught.value) == str(tmp_path / "c.json") + (
        ": resource-tags-required.waivers: resource 'aurora-use1' names resources of types "
        'aws:rds/cluster:Cluster, aws:rds/globalCluster:GlobalCluster; add "type" to the waiver or use the URN'
    )
    # And naming the type resolves it
    pinned = write_json(
        tmp_path / "p.json", {"resource-tags-required": {"waivers": [waiver | {"type": "aws:rds/cluster:Cluster"}]}}
    )
    with AnalyzerSession(TESTPACK, prod_files, pinned) as session:
        (listed,) = session.check(export).waivers
    assert listed.urn == cluster_urn("aurora-use1")


def test_check__export_of_another_stack_is_a_usage_error(testpack_session: AnalyzerSession) -> None:
    export = clean_export() | {"stack": "dev"}
    with pytest.raises(UsageError, match="--export is for stack 'dev', not --stack prod"):
        testpack_session.check(export)


# -- the pack process ----------------------------------------------------------------------------


def assert_gone(pids: tuple[int, ...]) -> None:
    assert pids
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_session__pack_process_is_gone_after_a_check(prod_files: StackFiles) -> None:
    with AnalyzerSession(TESTPACK, prod_files, None) as session:
        session.check(clean_export())
        pids = session.pids
        for pid in pids:
            os.kill(pid, 0)  # running while the session is open
    assert_gone(pids)


@pytest.mark.parametrize("interruption", [RuntimeError("boom"), KeyboardInterrupt()])
def test_session__pack_process_is_gone_after_an_interruption(
    prod_files: StackFiles, interruption: BaseException
) -> None:
    pids: tuple[int, ...] = ()
    with pytest.raises(type(interruption)), AnalyzerSession(TESTPACK, prod_files, None) as session:
        session.connect()
        pids = session.pids
        raise interruption
    assert_gone(pids)


def test_session__pack_is_in_its_own_process_group(prod_files: StackFiles) -> None:
    # A Ctrl-C in the terminal goes to finstack's group only; finstack then stops the pack in order.
    with AnalyzerSession(TESTPACK, prod_files, None) as session:
        session.connect()
        for pid in session.pids:
            assert os.getpgid(pid) == pid != os.getpgid(0)


def test_session__bad_input_starts_no_process(prod_files: StackFiles, tmp_path: Path) -> None:
    bad = tmp_path / "c.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError, match=r"c.json: not valid JSON \(.* line 1 column 2\); fix the syntax"):
        AnalyzerSession(TESTPACK, prod_files, bad)


def test_session__pack_that_crashes_at_start_reports_its_error(prod_files: StackFiles, tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "broken", "raise ValueError('rules module is missing')\n")
    with AnalyzerSession(pack, prod_files, None) as session, pytest.raises(PolicyPackError) as caught:
        session.check(clean_export())
    assert "exited before serving" in str(caught.value)
    assert "ValueError: rules module is missing" in str(caught.value)
    assert caught.value.exit_code == 2


def test_session__pack_that_prints_before_serving_fails_like_the_cli(prod_files: StackFiles, tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "chatty", "print('loading rules')\nimport time\ntime.sleep(30)\n")
    with AnalyzerSession(pack, prod_files, None) as session, pytest.raises(PolicyPackError) as caught:
        session.check(clean_export())
    assert "first line of stdout must be the port, got 'loading rules'" in str(caught.value)
    assert_gone(session.pids)


def test_session__pack_that_ignores_sigterm_is_killed_after_the_grace_period(
    prod_files: StackFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint(1)\ntime.sleep(60)\n"
    monkeypatch.setattr(pack_module, "STOP_GRACE_S", 0.3)
    session = AnalyzerSession(write_pack(tmp_path / "stubborn", main), prod_files, None, processes=2)
    session.start()
    processes = [analyzer.process for analyzer in session._analyzers]
    for process in processes:
        process.wait_for_port()  # printed once SIGTERM is ignored
    session.close()
    assert [process._proc.returncode for process in processes if process._proc] == [-signal.SIGKILL] * 2
    assert_gone(session.pids)


def test_session__policy_that_raises_is_a_pack_error(prod_files: StackFiles, tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "raising",
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy, EnforcementLevel\n"
        "def fail(args, report):\n"
        "    raise KeyError('storageEncrypted')\n"
        "PolicyPack('raising', [ResourceValidationPolicy('fails', 'Always fails.', fail,"
        " EnforcementLevel.MANDATORY)])\n",
    )
    with AnalyzerSession(pack, prod_files, None) as session, pytest.raises(PolicyPackError) as caught:
        session.check(clean_export())
    assert f"Analyze({ROOT_URN}) failed" in str(caught.value)
    assert "Exception calling application: 'storageEncrypted'" in str(caught.value)


# --- connecting in the background (run_check starts the pack while the program runs) ---------------


def test_connect_in_background__check_gets_the_same_report_as_connecting_in_line(prod_files: StackFiles) -> None:
    export = edited(clean_export(), cluster_urn("aurora-use1"), storageEncrypted=False)
    with AnalyzerSession(TESTPACK, prod_files, None) as session:
        in_line = session.check(export)
    with AnalyzerSession(TESTPACK, prod_files, None) as session:
        session.connect_in_background()
        assert session.pids, "the pack processes are spawned at once, on the caller's thread"
        background = session.check(export)
    assert background == in_line
    assert found(background), "the edited export must have a violation to compare"


def test_connect_in_background__a_pack_failure_is_raised_by_check_on_the_callers_thread(
    prod_files: StackFiles, tmp_path: Path
) -> None:
    pack = write_pack(tmp_path / "broken", "raise ValueError('rules module is missing')\n")
    with AnalyzerSession(pack, prod_files, None) as session:
        session.connect_in_background()
        with pytest.raises(PolicyPackError, match="ValueError: rules module is missing"):
            session.check(clean_export())


def test_connect_in_background__closing_midway_leaves_no_process_and_no_open_channel(prod_files: StackFiles) -> None:
    # e.g. the program fails while the pack is still starting: the session closes under the connect.
    with AnalyzerSession(TESTPACK, prod_files, None) as session:
        session.connect_in_background()
        pids = session.pids
    assert_gone(pids)
    assert all(analyzer.channel is None for analyzer in session._analyzers)
    with pytest.raises(PolicyPackError):
        session.connect()
