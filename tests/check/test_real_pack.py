"""The real pack (policy/) on the real stacks: shipped stacks pass, broken properties are caught.

The mutation harness takes the prod plan export, breaks one security-relevant property at a
time (tests/check/mutations.py) and sends the result through the real analyzer protocol to one
pack session configured once with policy/config.prod.json. Analyze is re-run for the resources
whose request changed (the SDK answers each call from its request alone), AnalyzeStack for all.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from click.testing import CliRunner

from finstack.check.report import CheckReport
from finstack.check.session import AnalyzerSession
from finstack.cli import FinstackGroup
from finstack.commands.check import check
from finstack.engine.export import plan_export
from finstack.engine.runner import run_program
from finstack.project import load_stack
from tests.check.mutations import CATEGORIES, MUTATIONS, Mutation
from tests.plan import PROJECT_DIR

REAL_PACK = PROJECT_DIR / "policy"
needs_real_pack = pytest.mark.skipif(
    not (REAL_PACK / "__main__.py").is_file(),
    reason="policy/__main__.py (the real pack) does not exist yet; remove this skip once it lands",
)


@pytest.fixture(scope="module")
def prod_export() -> dict[str, Any]:
    files = load_stack("prod", PROJECT_DIR)
    return plan_export(run_program(files), PROJECT_DIR)


@pytest.fixture(scope="module")
def real_session() -> Iterator[AnalyzerSession]:
    files = load_stack("prod", PROJECT_DIR)
    # Two processes whatever the machine: the mutations then also go through the shared
    # Analyze dispatch and the split AnalyzeStack (the CLI's default may be one process).
    with AnalyzerSession(REAL_PACK, files, REAL_PACK / "config.prod.json", processes=2) as session:
        yield session


@pytest.fixture(scope="module")
def baseline(real_session: AnalyzerSession, prod_export: dict[str, Any]) -> CheckReport:
    return real_session.check(prod_export)


@needs_real_pack
@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_check__shipped_stack_passes_the_real_pack(stack: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_DIR)
    result = CliRunner().invoke(FinstackGroup(commands={"check": check}), ["check", "--stack", stack])
    assert result.exit_code == 0, result.output


@needs_real_pack
def test_check__prod_with_the_dev_policy_config_is_refused(
    prod_export: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the prod plan and the dev config, which relaxes the cost-driven policies
    export_file = tmp_path / "prod.json"
    export_file.write_text(json.dumps(prod_export))
    monkeypatch.chdir(PROJECT_DIR)
    # When prod is checked with it
    result = CliRunner().invoke(
        FinstackGroup(commands={"check": check}),
        ["check", "--stack", "prod", "--export", str(export_file), "--policy-pack-config", "policy/config.dev.json"],
    )
    # Then the run fails on the mismatch, whatever the relaxed policies say
    assert result.exit_code == 1, result.output
    assert "Policy config must be written for stack prod: it was written for stack dev" in result.output


def test_mutations__forty_distinct_mutations_across_every_category() -> None:
    ids = [m.id for m in MUTATIONS]
    assert len(ids) == len(set(ids)), [i for i, n in collections.Counter(ids).items() if n > 1]
    assert len(ids) >= 40
    per_category = collections.Counter(m.category for m in MUTATIONS)
    assert set(per_category) == set(CATEGORIES), per_category
    assert min(per_category.values()) >= 2, per_category


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_mutation__selects_an_existing_resource_and_changes_it(mutation: Mutation, prod_export: dict[str, Any]) -> None:
    # A selector that matches nothing raises: the table cannot pass vacuously after a rename.
    mutated, targets = mutation.apply(prod_export)
    assert targets
    assert changed_urns(prod_export, mutated) or mutation.removes, f"{mutation.id} changed nothing"
    assert json.dumps(prod_export, sort_keys=True) != json.dumps(mutated, sort_keys=True)


@needs_real_pack
def test_mutation_baseline__prod_plan_has_no_mandatory_violation(baseline: CheckReport) -> None:
    assert [(v.policy, v.urn, v.message) for v in baseline.mandatory] == []


def _expected_catches() -> list[Any]:
    return [
        pytest.param(
            m, id=m.id, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"pack gap: {m.known_gap}")
        )
        if m.known_gap
        else pytest.param(m, id=m.id)
        for m in MUTATIONS
    ]


def _selected_mutations(session: pytest.Session) -> list[Mutation]:
    """The mutations whose catch test this run collected (all of them, unless -k or a node id narrowed it)."""
    wanted: set[str] = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "originalname", None) == "test_mutation__is_caught_by_a_mandatory_policy" and callspec:
            wanted.add(callspec.params["mutation"].id)
    return [m for m in MUTATIONS if m.id in wanted]


@pytest.fixture(scope="module")
def mutation_reports(
    request: pytest.FixtureRequest, real_session: AnalyzerSession, prod_export: dict[str, Any]
) -> dict[str, tuple[frozenset[str], CheckReport] | BaseException]:
    """Every selected mutated plan checked once, as many at a time as the session has pack processes."""
    mutations = _selected_mutations(request.session)

    def run(mutation: Mutation) -> tuple[frozenset[str], CheckReport] | BaseException:
        try:
            mutated, targets = mutation.apply(prod_export)
            return targets, real_session.check(mutated, only=changed_urns(prod_export, mutated))
        except Exception as err:  # reported by that mutation's own test
            return err

    real_session.connect()
    with ThreadPoolExecutor(max_workers=real_session.processes) as pool:
        return dict(zip((m.id for m in mutations), pool.map(run, mutations), strict=True))


@needs_real_pack
@pytest.mark.parametrize("mutation", _expected_catches())
def test_mutation__is_caught_by_a_mandatory_policy(
    mutation: Mutation,
    mutation_reports: dict[str, tuple[frozenset[str], CheckReport] | BaseException],
    baseline: CheckReport,
) -> None:
    # Given the prod plan with one property broken, checked by the real pack
    outcome = mutation_reports[mutation.id]
    if isinstance(outcome, BaseException):
        raise outcome
    targets, report = outcome
    # Then a mandatory violation that the unbroken plan does not have names the broken resource (or the stack)
    before = {(v.policy, v.urn, v.message) for v in baseline.mandatory}
    new = [v for v in report.mandatory if (v.policy, v.urn, v.message) not in before]
    caught = [v for v in new if v.urn in targets]
    assert caught, (
        f"{mutation.id} ({mutation.what}) was not caught at {sorted(targets)}; "
        f"new mandatory violations: {[(v.policy, v.urn, v.message) for v in new]}"
    )


def changed_urns(original: Mapping[str, Any], mutated: Mapping[str, Any]) -> set[str]:
    """URNs whose Analyze request differs: edited resources and those deployed through an edited provider."""
    before = {r["urn"]: json.dumps(r, sort_keys=True) for r in original["resources"]}
    edited = {r["urn"] for r in mutated["resources"] if before.get(r["urn"]) != json.dumps(r, sort_keys=True)}
    through = {
        r["urn"] for r in mutated["resources"] if r.get("provider") and r["provider"].rsplit("::", 1)[0] in edited
    }
    return edited | through
