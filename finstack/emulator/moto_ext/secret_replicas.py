"""A secret's replicas are encrypted with the key named for their region, as in AWS.

Secrets Manager encrypts each replica with the ``KmsKeyId`` given for its region in
``AddReplicaRegions`` (aws/secretsmanager when none is given; "Replicate an AWS Secrets Manager
secret to other AWS Regions", Secrets Manager User Guide), and reading a replica needs
``kms:Decrypt`` on that key through Secrets Manager. moto 5's `ReplicaSecret` drops the key
(its config always reports the default alias), so a reader without the grant would pass offline.
"""

from __future__ import annotations

from typing import Any

from moto.secretsmanager.models import FakeSecret

from finstack.emulator.moto_ext._registry import Installation


def register(installation: Installation) -> None:
    """Keep each replica's KMS key on the replica (`kms_key_id`) and in its replication status."""
    original = FakeSecret.create_replicas

    def create_replicas(self: FakeSecret, replica_regions: list[dict[str, str]], force_overwrite: bool) -> Any:
        replicas = original(self, replica_regions, force_overwrite)
        wanted = {config["Region"]: config.get("KmsKeyId") for config in replica_regions or []}
        for replica in replicas:
            key = wanted.get(replica.region)
            if key:
                replica.kms_key_id = key  # type: ignore[attr-defined]
                replica.config["KmsKeyId"] = key
        return replicas

    installation.patch(FakeSecret, "create_replicas", create_replicas)
