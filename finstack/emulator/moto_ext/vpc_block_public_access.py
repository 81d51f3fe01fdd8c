"""EC2 VPC Block Public Access (BPA): the account's per-region mode and its exclusions, APIs moto 5 lacks.

Added to moto's EC2 responses (query protocol; answers serialized by moto from the botocore ec2
model, so the shapes are AWS's), with what AWS documents ("Block public access to VPCs and
subnets", Amazon VPC User Guide; EC2 API reference ModifyVpcBlockPublicAccessOptions,
CreateVpcBlockPublicAccessExclusion and the `VpcBlockPublicAccessOptions` /
`VpcBlockPublicAccessExclusion` data types):

- Modify/DescribeVpcBlockPublicAccessOptions: one setting per account and region,
  `InternetGatewayBlockMode` off | block-bidirectional | block-ingress (anything else is
  ``InvalidParameterValue``). Never set: `State` default-state, mode off. AWS applies a change
  asynchronously (update-in-progress -> update-complete); here it is complete at once.
- Create/Describe/Modify/DeleteVpcBlockPublicAccessExclusion(s): exactly one of a VPC or a subnet
  of this account and region (``InvalidVpcID.NotFound`` / ``InvalidSubnetID.NotFound`` otherwise),
  mode allow-bidirectional | allow-egress. Exclusions may exist while BPA is off ("You can create
  BPA exclusions for VPCs and subnets even when BPA is not enabled", API reference), so creating
  one never depends on the mode. An unknown exclusion id is
  ``InvalidVpcBlockPublicAccessExclusionId.NotFound``; a deleted one stays visible as
  delete-complete and a second delete is ``InvalidParameterValue`` (what the Terraform provider's
  vpc_block_public_access_exclusion.go tolerates on delete).

`set_exclusions_not_allowed(account, region)` models an organization's declarative policy that
forbids exclusions (`ExclusionsAllowed` not-allowed, `ManagedBy` declarative-policy): creating
an exclusion is then refused (``OperationNotPermitted``), which the landing-zone preflight must see.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import ec2_backends
from moto.ec2.responses import EC2Response

from finstack.emulator.moto_ext._registry import EXTENSION_LOCK, Installation

BLOCK_MODES = ("off", "block-bidirectional", "block-ingress")
EXCLUSION_MODES = ("allow-bidirectional", "allow-egress")
TAG_RESOURCE_TYPE = "vpc-block-public-access-exclusion"


def _backend(account: str, region: str) -> Any:
    return ec2_backends[account][region]


def _options(account: str, region: str) -> dict[str, Any]:
    """The region's setting, kept on moto's EC2 backend so a moto reset forgets it too."""
    backend = _backend(account, region)
    if not hasattr(backend, "finstack_bpa_options"):
        backend.finstack_bpa_options = {
            "AwsAccountId": account,
            "AwsRegion": region,
            "State": "default-state",
            "InternetGatewayBlockMode": "off",
            "ManagedBy": "account",
            "ExclusionsAllowed": "allowed",
        }
    return backend.finstack_bpa_options  # type: ignore[no-any-return]


def _exclusions(account: str, region: str) -> dict[str, dict[str, Any]]:
    backend = _backend(account, region)
    if not hasattr(backend, "finstack_bpa_exclusions"):
        backend.finstack_bpa_exclusions = {}
    return backend.finstack_bpa_exclusions  # type: ignore[no-any-return]


def set_exclusions_not_allowed(account: str, region: str) -> None:
    """Model an organization declarative policy that forbids BPA exclusions in `region`."""
    with EXTENSION_LOCK:
        _options(account, region).update(ExclusionsAllowed="not-allowed", ManagedBy="declarative-policy")


def _invalid(name: str, value: Any, allowed: tuple[str, ...]) -> EC2ClientError:
    return EC2ClientError(
        "InvalidParameterValue", f"Value ({value}) for parameter {name} is invalid. Valid values: {', '.join(allowed)}"
    )


def _exclusion(account: str, region: str, exclusion_id: str) -> dict[str, Any]:
    found = _exclusions(account, region).get(exclusion_id)
    if found is None:
        raise EC2ClientError(
            "InvalidVpcBlockPublicAccessExclusionId.NotFound", f"The exclusion ID '{exclusion_id}' does not exist"
        )
    return found


def modify_vpc_block_public_access_options(self: EC2Response) -> ActionResult:
    """Set the region's mode; complete at once."""
    mode = self._get_param("InternetGatewayBlockMode")
    if mode not in BLOCK_MODES:
        raise _invalid("InternetGatewayBlockMode", mode, BLOCK_MODES)
    self.error_on_dryrun()
    with EXTENSION_LOCK:
        options = _options(self.current_account, self.region)
        options.update(InternetGatewayBlockMode=mode, State="update-complete", LastUpdateTimestamp=datetime.now(UTC))
        return ActionResult({"VpcBlockPublicAccessOptions": dict(options)})


def describe_vpc_block_public_access_options(self: EC2Response) -> ActionResult:
    """The region's setting (default-state / off when never set)."""
    self.error_on_dryrun()
    with EXTENSION_LOCK:
        return ActionResult({"VpcBlockPublicAccessOptions": dict(_options(self.current_account, self.region))})


def create_vpc_block_public_access_exclusion(self: EC2Response) -> ActionResult:
    """An exclusion of exactly one existing VPC or subnet of this region."""
    account, region = self.current_account, self.region
    vpc_id, subnet_id = self._get_param("VpcId"), self._get_param("SubnetId")
    mode = self._get_param("InternetGatewayExclusionMode")
    if mode not in EXCLUSION_MODES:
        raise _invalid("InternetGatewayExclusionMode", mode, EXCLUSION_MODES)
    if bool(vpc_id) == bool(subnet_id):
        raise EC2ClientError("InvalidParameterCombination", "Specify exactly one of VpcId and SubnetId")
    backend = _backend(account, region)
    if subnet_id:
        backend.get_subnet(subnet_id)  # InvalidSubnetID.NotFound, as AWS answers
        resource = f"subnet/{subnet_id}"
    else:
        backend.get_vpc(vpc_id)  # InvalidVpcID.NotFound
        resource = f"vpc/{vpc_id}"
    tags = self._parse_tag_specification().get(TAG_RESOURCE_TYPE, {})
    self.error_on_dryrun()
    with EXTENSION_LOCK:
        if _options(account, region)["ExclusionsAllowed"] != "allowed":
            raise EC2ClientError(
                "OperationNotPermitted", "VPC Block Public Access exclusions are not allowed by a declarative policy"
            )
        now = datetime.now(UTC)
        exclusion = {
            "ExclusionId": f"exclusion-{secrets.token_hex(9)[:17]}",
            "InternetGatewayExclusionMode": mode,
            "ResourceArn": f"arn:aws:ec2:{region}:{account}:{resource}",
            "State": "create-complete",
            "CreationTimestamp": now,
            "LastUpdateTimestamp": now,
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        _exclusions(account, region)[exclusion["ExclusionId"]] = exclusion
        return ActionResult({"VpcBlockPublicAccessExclusion": dict(exclusion)})


def _matches(exclusion: dict[str, Any], name: str, values: list[str]) -> bool:
    tags = {t["Key"]: t["Value"] for t in exclusion["Tags"]}
    if name == "resource-arn":
        return exclusion["ResourceArn"] in values
    if name == "internet-gateway-exclusion-mode":
        return exclusion["InternetGatewayExclusionMode"] in values
    if name == "state":
        return exclusion["State"] in values
    if name == "tag-key":
        return any(k in values for k in tags)
    if name == "tag-value":
        return any(v in values for v in tags.values())
    if name.startswith("tag:"):
        return tags.get(name[4:]) in values
    raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")


def describe_vpc_block_public_access_exclusions(self: EC2Response) -> ActionResult:
    """Exclusions by id and/or filter (the botocore model's filters: resource-arn, mode, state, tags)."""
    account, region = self.current_account, self.region
    ids: list[str] = self._get_param("ExclusionIds", [])
    # moto annotates the answer dict[str, str]; its values are each filter's Values list.
    filters = cast(dict[str, list[str]], self._filters_from_querystring())
    self.error_on_dryrun()
    with EXTENSION_LOCK:
        found = [_exclusion(account, region, i) for i in ids] if ids else list(_exclusions(account, region).values())
        found = [e for e in found if all(_matches(e, n, v) for n, v in filters.items())]
        return ActionResult({"VpcBlockPublicAccessExclusions": [dict(e) for e in found]})


def modify_vpc_block_public_access_exclusion(self: EC2Response) -> ActionResult:
    """Change an exclusion's mode."""
    exclusion_id = self._get_param("ExclusionId")
    mode = self._get_param("InternetGatewayExclusionMode")
    if mode not in EXCLUSION_MODES:
        raise _invalid("InternetGatewayExclusionMode", mode, EXCLUSION_MODES)
    self.error_on_dryrun()
    with EXTENSION_LOCK:
        exclusion = _exclusion(self.current_account, self.region, exclusion_id)
        now = datetime.now(UTC)
        exclusion.update(InternetGatewayExclusionMode=mode, State="update-complete", LastUpdateTimestamp=now)
        return ActionResult({"VpcBlockPublicAccessExclusion": dict(exclusion)})


def delete_vpc_block_public_access_exclusion(self: EC2Response) -> ActionResult:
    """Delete: the exclusion stays visible as delete-complete; deleting it again is refused."""
    exclusion_id = self._get_param("ExclusionId")
    self.error_on_dryrun()
    with EXTENSION_LOCK:
        exclusion = _exclusion(self.current_account, self.region, exclusion_id)
        if exclusion["State"] == "delete-complete":
            raise EC2ClientError(
                "InvalidParameterValue", f"Exclusion {exclusion_id} is in delete-complete state and cannot be deleted"
            )
        exclusion.update(State="delete-complete", DeletionTimestamp=datetime.now(UTC))
        return ActionResult({"VpcBlockPublicAccessExclusion": dict(exclusion)})


def active_exclusions(account: str, region: str) -> list[dict[str, Any]]:
    """The exclusions of a region that are in effect (not deleted): for emulator reachability checks."""
    with EXTENSION_LOCK:
        return [dict(e) for e in _exclusions(account, region).values() if e["State"] != "delete-complete"]


def block_mode(account: str, region: str) -> str:
    """The region's InternetGatewayBlockMode."""
    with EXTENSION_LOCK:
        return str(_options(account, region)["InternetGatewayBlockMode"])


def register(installation: Installation) -> None:
    """Add the six BPA actions to moto's EC2 responses."""
    for method in (
        modify_vpc_block_public_access_options,
        describe_vpc_block_public_access_options,
        create_vpc_block_public_access_exclusion,
        describe_vpc_block_public_access_exclusions,
        modify_vpc_block_public_access_exclusion,
        delete_vpc_block_public_access_exclusion,
    ):
        installation.add(EC2Response, method.__name__, method)
