"""`make posture` never lets Prowler reach anything but the loopback emulator."""

from __future__ import annotations

import pytest

from finstack.posture import RealEndpointRefused, prowler_env, require_emulator


@pytest.mark.parametrize(
    "endpoint",
    ["https://sts.amazonaws.com", "http://10.0.0.5:4566", "", "https://127.0.0.1:4566", "http://example.com"],
)
def test_posture__refuses_any_endpoint_but_the_loopback_emulator(endpoint: str) -> None:
    with pytest.raises(RealEndpointRefused):
        require_emulator(endpoint)


def test_posture__prowler_env_drops_the_users_aws_settings() -> None:
    env = prowler_env(
        "http://127.0.0.1:4566",
        {
            "AWS_PROFILE": "prod-admin",
            "AWS_ROLE_ARN": "arn:aws:iam::1:role/x",
            "AWS_ACCESS_KEY_ID": "AKIAREAL",
            "PATH": "/bin",
        },
    )
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in env and "AWS_ROLE_ARN" not in env
    assert env["PATH"] == "/bin"
