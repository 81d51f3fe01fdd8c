"""Macie starts off in a region until EnableMacie, as in AWS.

moto 5's `MacieBackend` starts every region with an ENABLED session, so the landing-zone preflight
(finstack/preflight) would find Macie on in an account where nobody turned it on. In AWS,
GetMacieSession in a region where Macie was never enabled is refused ("Amazon Macie is not
enabled", Macie API reference, GetMacieSession errors); moto answers ResourceNotFoundException
once the session is None, which the preflight reads as "not enabled".
"""

from __future__ import annotations

from typing import Any

from moto.macie2.models import MacieBackend

from finstack.emulator.moto_ext._registry import Installation


def register(installation: Installation) -> None:
    """New Macie backends start without a session."""
    original = MacieBackend.__init__

    def init(self: MacieBackend, region_name: str, account_id: str, *args: Any, **kwargs: Any) -> None:
        original(self, region_name, account_id, *args, **kwargs)
        self.macie_session = None

    installation.patch(MacieBackend, "__init__", init)
