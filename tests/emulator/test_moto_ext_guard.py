"""The in-process emulator stays in-process: allow-listed services only, no request escapes."""

from __future__ import annotations

import boto3
import pytest
from moto.core.exceptions import ServiceNotWhitelisted
from moto.rds import urls as rds_urls
from moto.rds.responses import RDSResponse

from finstack.emulator.moto_ext import install, is_installed, uninstall
from finstack.emulator.moto_ext.guard import RequestEscaped
from tests.emulator.moto_ext_fixtures import aws_fixture, clock_fixture  # noqa: F401 - fixtures are used by name


@pytest.mark.usefixtures("aws")
def test_restricted_mock__refuses_services_outside_the_allow_list() -> None:
    with pytest.raises(ServiceNotWhitelisted):
        boto3.client("sqs", region_name="us-east-1").list_queues()


@pytest.mark.usefixtures("aws")
def test_restricted_mock__refuses_an_endpoint_moto_does_not_emulate() -> None:
    client = boto3.client("s3", region_name="us-east-1", endpoint_url="https://s3.internal.example.com")

    with pytest.raises(RequestEscaped, match="not an emulated AWS endpoint"):
        client.list_buckets()


@pytest.mark.usefixtures("aws")
def test_restricted_mock__uses_fake_credentials() -> None:
    credentials = boto3.Session().get_credentials()

    assert credentials is not None
    assert credentials.access_key == "FOOBARKEY"


def test_install__is_idempotent_and_uninstall_restores_moto() -> None:
    install()
    install()
    assert is_installed()
    try:
        uninstall()
        assert not is_installed()
        assert rds_urls.url_paths["{0}/$"] == RDSResponse.dispatch
    finally:
        install()
    assert rds_urls.url_paths["{0}/$"] != RDSResponse.dispatch
