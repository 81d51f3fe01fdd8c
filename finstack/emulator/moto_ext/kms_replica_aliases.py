"""KMS replica keys start without aliases, as in AWS.

moto 5's `ReplicateKey` shallow-copies the primary key, so the replica shares the primary's
alias table: an alias created on the primary appears in the replica's region, and creating
the same alias name there (what every multi-region platform does: one alias per region)
fails with AlreadyExistsException. AWS never replicates aliases.
"""

from __future__ import annotations

from typing import Any

from moto.kms.models import KmsBackend

from finstack.emulator.moto_ext._registry import Installation


def register(installation: Installation) -> None:
    """Give every new replica key its own, empty alias table."""
    original = KmsBackend.replicate_key

    def replicate_key(self: KmsBackend, key_id: str, replica_region: str) -> Any:
        replica = original(self, key_id, replica_region)
        replica.aliases = {}
        return replica

    installation.patch(KmsBackend, "replicate_key", replicate_key)
