"""EKS `CreateCluster` refuses subnets in an availability zone Amazon EKS does not support, as AWS does.

moto 5 accepts a cluster in any subnet. AWS refuses subnets in a few physical zones (by AZ ID,
the table in `components.zones`, from the EKS User Guide's subnet requirements) with
``UnsupportedAvailabilityZoneException`` (HTTP 400; members ``clusterName``, ``validZones``,
``message`` in botocore's eks service model). The message below is AWS's, as the EKS User Guide's
troubleshooting page and real error bodies quote it (e.g. github.com/rancher/rancher/issues/14224).
moto's own name -> ID mapping puts use1-az3 at us-east-1e, so a program that takes the first five
names of us-east-1 is refused here as it would be in such an account.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.eks.exceptions import EKSError
from moto.eks.models import EKSBackend

from components.zones import eks_unsupported
from finstack.emulator.moto_ext._registry import Installation


class UnsupportedAvailabilityZoneException(EKSError):
    """AWS's answer to a cluster subnet in an AZ that Amazon EKS does not support.

    moto serializes a `ServiceException` by its `code`, the error shape of the service model
    (which also gives the HTTP status, 400); `clusterName` and `validZones` ride along as members.
    """

    code = "UnsupportedAvailabilityZoneException"


def _refuse_unsupported_zones(backend: EKSBackend, name: str, vpc_config: dict[str, Any] | None) -> None:
    unsupported = eks_unsupported(backend.region_name)
    if not unsupported:
        return
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    refused = []
    for subnet_id in (vpc_config or {}).get("subnetIds") or []:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except InvalidSubnetIdError:
            continue  # an unknown subnet is not this extension's refusal
        if subnet.availability_zone_id in unsupported:
            refused.append(subnet.availability_zone)
    if refused:
        valid = sorted(z.name for z in ec2.describe_availability_zones() if z.zone_id not in unsupported)
        raise UnsupportedAvailabilityZoneException(
            f"Cannot create cluster '{name}' because {sorted(refused)[0]}, the targeted availability zone, "
            "does not currently have sufficient capacity to support the cluster. Retry and choose from these "
            f"availability zones: {', '.join(valid)}",
            clusterName=name,
            validZones=valid,
        )


def register(installation: Installation) -> None:
    """Make moto's CreateCluster check its subnets' AZ IDs first."""
    original = EKSBackend.create_cluster

    def create_cluster(self: EKSBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        vpc_config = kwargs.get("resources_vpc_config", args[1] if len(args) > 1 else None)
        _refuse_unsupported_zones(self, name, vpc_config)
        return original(self, name, *args, **kwargs)

    installation.patch(EKSBackend, "create_cluster", create_cluster)
