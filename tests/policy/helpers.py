"""Hand-built CrossGuard arguments for policy tests, and collectors for what a policy reports.

Props are wrapped in the SDK's own unknown-checking proxy, exactly as the analyzer servicer
hands them to a validator, so a policy that reads an unknown value through the proxy fails
here the same way it does under `pulumi preview`.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

from policy.rules import ALL_POLICIES

STACK = "prod"
ACCOUNT = "111122223333"
PRIMARY = "us-east-1"
SECONDARY = "us-west-2"

UNKNOWN = UNKNOWN_STRING_VALUE
UNKNOWN_BOOL = UNKNOWN_BOOLEAN_VALUE
UNKNOWN_NUMBER = UNKNOWN_NUMBER_VALUE
UNKNOWN_ARRAY = UNKNOWN_ARRAY_VALUE
UNKNOWN_OBJECT = UNKNOWN_OBJECT_VALUE

DELETE = object()  # marks a key to remove in `edit`


def policy(name: str) -> Policy:
    """The pack's policy called `name`."""
    found = [p for p in ALL_POLICIES if p.name == name]
    assert len(found) == 1, f"no policy named {name!r}"
    return found[0]


def urn(type_: str, name: str) -> str:
    """A URN as the engine writes it for a top-level resource of the prod stack."""
    return f"urn:pulumi:{STACK}::finstack::{type_}::{name}"


def key_arn(region: str, purpose: str = "data") -> str:
    """A multi-region key ARN: the same mrk- id in every region, as AWS assigns replicas."""
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/mrk-{hashlib.md5(purpose.encode()).hexdigest()}"


def edit(props: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `props` with dotted paths set (or removed with DELETE); lists step by index."""
    result = copy.deepcopy(props)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node: Any = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return result


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def aws_provider(region: str | None = PRIMARY) -> PolicyProviderResource:
    """The stack's default aws provider (region = aws:region)."""
    props = {} if region is None else {"region": region}
    return PolicyProviderResource(
        "pulumi:providers:aws", unknown_checking_proxy(props), urn("pulumi:providers:aws", "aws"), "aws"
    )


def check(
    policy_name: str,
    type_: str,
    props: dict[str, Any],
    *,
    name: str = "subject",
    config: dict[str, Any] | None = None,
    provider_region: str | None = PRIMARY,
) -> list[str]:
    """Run a resource policy on one resource the way the analyzer does; return the messages.

    A stack policy (e.g. s3-bucket-sse-kms, which needs the bucket an encryption setting belongs
    to) runs on a stack of that one resource.
    """
    checked = policy(policy_name)
    if isinstance(checked, StackValidationPolicy):
        alone = resource(type_, name, props, provider_region=provider_region)
        return [message for message, _ in check_stack(policy_name, [alone], config=config)]
    assert isinstance(checked, ResourceValidationPolicy)
    messages: list[str] = []
    args = ResourceValidationArgs(
        type_,
        unknown_checking_proxy(copy.deepcopy(props)),
        urn(type_, name),
        name,
        _options(),
        aws_provider(provider_region),
        config,
    )
    checked.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def resource(type_: str, name: str, props: dict[str, Any], *, provider_region: str | None = PRIMARY) -> PolicyResource:
    """A stack resource (outputs as props) without dependencies; link them with `depends`."""
    return PolicyResource(
        type_,
        unknown_checking_proxy(copy.deepcopy(props)),
        urn(type_, name),
        name,
        _options(),
        aws_provider(provider_region),
        None,
        [],
        {},
    )


def depends(dependent: PolicyResource, prop: str, *targets: PolicyResource) -> PolicyResource:
    """Record that `dependent`'s property `prop` was computed from `targets` (engine propertyDependencies)."""
    dependent.property_dependencies.setdefault(prop, []).extend(targets)
    dependent.dependencies.extend(t for t in targets if t not in dependent.dependencies)
    return dependent


def check_stack(
    policy_name: str, resources: list[PolicyResource], *, config: dict[str, Any] | None = None
) -> list[tuple[str, str | None]]:
    """Run a stack policy; return (message, urn) for each violation."""
    checked = policy(policy_name)
    assert isinstance(checked, StackValidationPolicy)
    found: list[tuple[str, str | None]] = []
    checked.validate(StackValidationArgs(resources, config), lambda message, urn=None: found.append((message, urn)))
    return found


def messages(found: list[tuple[str, str | None]]) -> list[str]:
    """Only the messages of `check_stack` results."""
    return [message for message, _ in found]
