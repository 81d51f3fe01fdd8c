"""MSK cluster ARNs shaped like AWS's: `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`.

moto 5 writes `cluster/<uuid>`, without the name. The platform (and the policies and drills
that read its ARNs) derive cluster names and topic ARNs from the real shape, so the emulator
must produce it.
"""

from __future__ import annotations

from moto.kafka.models import FakeKafkaCluster
from moto.utilities.utils import get_partition

from finstack.emulator.moto_ext._registry import Installation


def _aws_shaped_arn(cluster: FakeKafkaCluster) -> str:
    kind = "cluster" if cluster.cluster_type == "PROVISIONED" else "serverless-cluster"
    partition = get_partition(cluster.region_name)
    where = f"{cluster.region_name}:{cluster.account_id}"
    return f"arn:{partition}:kafka:{where}:{kind}/{cluster.cluster_name}/{cluster.cluster_id}"


def register(installation: Installation) -> None:
    """Make new moto MSK clusters carry AWS-shaped ARNs."""
    installation.patch(FakeKafkaCluster, "_generate_arn", _aws_shaped_arn)
