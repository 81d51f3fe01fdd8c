"""The --policy-pack-config file: parsed and reconciled as the Pulumi CLI does (pure, no pack process)."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from finstack.check.policy_config import (
    PolicyConfig,
    PolicySchemaInfo,
    parse_policy_config,
    reconcile,
    waivers_of,
    with_enforcement_level_property,
)
from finstack.check.report import Waiver
from finstack.errors import UsageError

POLICIES = [
    PolicySchemaInfo("msk-tls-in-transit", "mandatory", with_enforcement_level_property(None)),
    PolicySchemaInfo(
        "log-retention-min",
        "advisory",
        with_enforcement_level_property(
            {"properties": {"minDays": {"type": "integer", "minimum": 1, "default": 365}}, "required": ["minDays"]}
        ),
    ),
]


def test_parse__string_and_object_forms() -> None:
    parsed = parse_policy_config(
        '{"msk-tls-in-transit": "advisory", "log-retention-min": {"enforcementLevel": "mandatory", "minDays": 400}}',
        "config.prod.json",
    )
    assert parsed == {
        "msk-tls-in-transit": PolicyConfig("advisory", None),
        "log-retention-min": PolicyConfig("mandatory", {"minDays": 400}),
    }


def test_parse__empty_file_and_empty_entries_are_dropped() -> None:
    assert parse_policy_config("  \n", "c.json") == {}
    assert parse_policy_config('{"msk-tls-in-transit": {}}', "c.json") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": "manditory"}', "c.json: a: 'manditory' is not a valid enforcement level; use one of advisory,"),
        ('{"a": {"enforcementLevel": 1}}', "c.json: a.enforcementLevel: 1 is not a string"),
        ('{"a": 3}', "c.json: a: 3 is not a valid value; use a level string or an object"),
        ("[]", "c.json: expected a JSON object of policy name -> config, got list"),
        (
            '{"a": "mandatory",}',
            "c.json: not valid JSON (Expecting property name enclosed in double quotes at line 1 column 19)",
        ),
    ],
)
def test_parse__bad_input_is_one_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_policy_config(text, "c.json")
    assert str(caught.value).startswith(message)


def test_reconcile__defaults_then_initial_then_file() -> None:
    initial = {"log-retention-min": PolicyConfig("advisory", {"minDays": 30})}
    given = {
        "log-retention-min": PolicyConfig(None, {"minDays": 400}),
        "msk-tls-in-transit": PolicyConfig("advisory", None),
    }
    result = reconcile(POLICIES, initial, given, "finstack@1.0.0", "c.json")
    # The file's property wins, the level stays the initial config's (the file set none)
    assert result["log-retention-min"] == PolicyConfig("advisory", {"minDays": 400})
    assert result["msk-tls-in-transit"] == PolicyConfig("advisory", None)


def test_reconcile__schema_defaults_fill_unset_properties() -> None:
    result = reconcile(POLICIES, {}, {}, "finstack@1.0.0", "c.json")
    assert result["log-retention-min"] == PolicyConfig("advisory", {"minDays": 365})
    assert result["msk-tls-in-transit"] == PolicyConfig("mandatory", None)


def test_reconcile__all_sets_every_level_and_named_policies_override_it() -> None:
    given = {"all": PolicyConfig("mandatory", None), "msk-tls-in-transit": PolicyConfig("disabled", None)}
    result = reconcile(POLICIES, {}, given, "finstack@1.0.0", "c.json")
    assert result["log-retention-min"].enforcement_level == "mandatory"
    assert result["msk-tls-in-transit"].enforcement_level == "disabled"


def test_reconcile__unknown_policy_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        reconcile(POLICIES, {}, {"msk-tls-in-transt": PolicyConfig("mandatory", None)}, "finstack@1.0.0", "c.json")
    assert str(caught.value) == (
        "c.json: msk-tls-in-transt is not a policy of pack finstack@1.0.0; "
        "known policies: log-retention-min, msk-tls-in-transit"
    )


def test_reconcile__schema_violations_name_policy_and_property() -> None:
    with pytest.raises(UsageError) as caught:
        reconcile(POLICIES, {}, {"log-retention-min": PolicyConfig(None, {"minDays": 0})}, "p@1", "c.json")
    assert str(caught.value) == "c.json: log-retention-min.minDays: 0 is less than the minimum of 1"


def test_to_wire__level_and_properties_as_the_cli_marshals_them() -> None:
    wire = PolicyConfig("mandatory", {"minDays": 400, "regions": ["us-east-1"]}).to_wire()
    assert wire.enforcementLevel == analyzer_pb2.MANDATORY
    assert json_format.MessageToDict(wire.properties) == {"minDays": 400.0, "regions": ["us-east-1"]}


def test_waivers__listed_from_each_policys_config() -> None:
    config = {
        "msk-tls-in-transit": PolicyConfig(
            "mandatory",
            {
                "waivers": [
                    {
                        "resource": "msk-use1",
                        "owner": "streaming",
                        "expiry": "2026-01-31",
                        "reason": "migration",
                        "ticket": "RISK-7",
                    }
                ]
            },
        ),
        "log-retention-min": PolicyConfig("advisory", {"minDays": 400}),
    }
    (waiver,) = waivers_of(config)
    assert waiver == Waiver("msk-tls-in-transit", "msk-use1", "streaming", "2026-01-31", "migration", "RISK-7")
    assert waiver.expired(dt.date(2026, 2, 1)) and not waiver.expired(dt.date(2026, 1, 31))
