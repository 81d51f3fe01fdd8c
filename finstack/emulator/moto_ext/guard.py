"""Keep emulated runs inside the emulator: an allow-list of services and a no-escape guard.

`restricted_mock_aws()` is moto's `mock_aws` with three additions:

- the finstack extensions are installed;
- only `ALLOWED_SERVICES` are served (moto's ``core.service_whitelist``); a call to any other
  service raises moto's `ServiceNotWhitelisted` instead of silently succeeding;
- a botocore ``before-send`` hook fails loudly (`RequestEscaped`) if a request is about to leave the
  process for a host moto does not emulate, whatever the client's endpoint: only moto-routed AWS
  hosts and loopback addresses (a local emulator server) are allowed.

Credentials are moto's fake ones for the duration of the context.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from botocore.handlers import BUILTIN_HANDLERS
from moto import backend_index, mock_aws
from moto.core.config import DefaultConfig
from moto.core.utils import get_equivalent_url_in_aws_domain

from finstack.emulator.moto_ext._install import install

#: moto service names (as in `moto.backend_index`) the platform uses; everything else is refused.
ALLOWED_SERVICES: tuple[str, ...] = (
    "acm",
    "applicationautoscaling",
    # AWS Backup vaults, locks, plans and selections (finstack.emulator.moto_ext.backup_selections).
    "backup",
    # Lambda: the secret rotation function (its steps run in-process, moto_ext/rotation_lambda.py).
    "awslambda",
    # The audit trail (issue 19).
    "cloudtrail",
    "cloudwatch",
    # The in-cluster runner (finstack.emulator.moto_ext.incluster_runner plays its builds).
    "codebuild",
    # Posture (components/posture.py) and the landing-zone preflight (finstack/preflight).
    "cloudtrail",
    "config",
    "ec2",
    "eks",
    "guardduty",
    "macie2",
    # elb and elbv2 share the elasticloadbalancing host; moto's whitelist sees it as "elb" first.
    "elb",
    "elbv2",
    # EventBridge rules routing GuardDuty findings; GuardDuty and Macie themselves (issue 19).
    "events",
    "guardduty",
    "iam",
    "kafka",
    "kms",
    "logs",
    "macie2",
    "rds",
    "rdsdata",
    "route53",
    "route53recoverycluster",
    "route53recoverycontrolconfig",
    "s3",
    "secretsmanager",
    "securityhub",
    "sns",
    "sts",
    "wafv2",
)


class RequestEscaped(RuntimeError):
    """A request would have left the emulator for a real endpoint."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_request_stays_local(request: Any, **_: Any) -> None:
    """Botocore ``before-send`` hook: raise unless moto serves this URL or it is a loopback host."""
    url = request.url
    host = urlsplit(url).hostname or ""
    if _is_loopback(host):
        return
    parsed, _host = get_equivalent_url_in_aws_domain(url)
    clean = f"{parsed.scheme}://{parsed.netloc}{parsed.path}"
    if any(pattern.match(clean) for _name, pattern in backend_index.backend_url_patterns):
        return
    raise RequestEscaped(f"refusing to send {request.method} {url}: not an emulated AWS endpoint")


@contextmanager
def restricted_mock_aws(services: tuple[str, ...] = ALLOWED_SERVICES) -> Iterator[None]:
    """An in-process moto mock with the extensions, limited to `services`, that cannot leak."""
    install()
    hook = ("before-send", check_request_stays_local)
    BUILTIN_HANDLERS.append(hook)
    try:
        # moto replaces the whole "core" section with ours, so restate its defaults we rely on.
        config: DefaultConfig = {
            "core": {
                "service_whitelist": list(services),
                "passthrough": {"urls": [], "services": []},
                "mock_credentials": True,
                "reset_boto3_session": True,
            },
            # The platform attaches AWS-managed policies (EKS worker, CNI, ECR read-only, ...).
            "iam": {"load_aws_managed_policies": True},
        }
        with mock_aws(config=config):
            yield
    finally:
        BUILTIN_HANDLERS.remove(hook)
