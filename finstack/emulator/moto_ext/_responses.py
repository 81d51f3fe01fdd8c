"""The base every extension response class mixes in."""

from __future__ import annotations

from typing import Any

from moto.core.responses import BaseResponse

from finstack.emulator.moto_ext.clock import get_clock


class ClockedResponse(BaseResponse):
    """A moto response class that ticks the emulator clock once per request it serves.

    With a stepping `VirtualClock`, time then advances with the number of requests — so a drill
    that polls ``DescribeGlobalClusters`` sees the operation progress without sleeping.
    Mix in first: ``class AuroraResponse(ClockedResponse, RDSResponse)``.
    """

    def setup_class(self, *args: Any, **kwargs: Any) -> None:
        """Moto's per-request setup, then one clock tick."""
        super().setup_class(*args, **kwargs)
        get_clock().on_request()
