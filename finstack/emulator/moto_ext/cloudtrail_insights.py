"""CloudTrail Insights selectors as CloudTrail keeps them: replaced, validated, reported by DescribeTrails.

moto 5 appends every PutInsightSelectors call to the trail's list (a second call doubles it),
accepts any Insights type, and DescribeTrails always answers `HasInsightSelectors: false`. CloudTrail
replaces the trail's selectors with the call's list (an empty list turns Insights off), accepts only
`ApiCallRateInsight` and `ApiErrorRateInsight` (API reference, `InsightSelector.InsightType`; else
``InvalidInsightSelectorsException``), and reports `HasInsightSelectors` in the trail's description
(API reference, `Trail`).
"""

from __future__ import annotations

from typing import Any

from moto.cloudtrail.models import Trail
from moto.core.exceptions import JsonRESTError

from finstack.emulator.moto_ext._registry import Installation

INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")


class InvalidInsightSelectorsException(JsonRESTError):
    """CloudTrail's answer to an Insights type it does not know."""

    code = 400

    def __init__(self, insight_type: object) -> None:
        message = f"Insight selector type {insight_type!r} is not valid; valid types: {', '.join(INSIGHT_TYPES)}"
        super().__init__("InvalidInsightSelectorsException", message)


def register(installation: Installation) -> None:
    """Replace-and-validate PutInsightSelectors; HasInsightSelectors in the trail's description."""
    description = Trail.description

    def put_insight_selectors(self: Trail, insight_selectors: list[dict[str, str]]) -> None:
        for selector in insight_selectors:
            if selector.get("InsightType") not in INSIGHT_TYPES:
                raise InvalidInsightSelectorsException(selector.get("InsightType"))
        self.insight_selectors = list(insight_selectors)

    def described(self: Trail, include_region: bool = False) -> dict[str, Any]:
        result = description(self, include_region=include_region)
        result["HasInsightSelectors"] = bool(self.insight_selectors)
        return result

    installation.patch(Trail, "put_insight_selectors", put_insight_selectors)
    installation.patch(Trail, "description", described)
