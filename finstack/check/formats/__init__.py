"""Render a CheckReport: `text` for people, `json` per the contract, `sarif` for code scanning."""

from __future__ import annotations

from collections.abc import Callable

from finstack.check.formats.json_report import render_json
from finstack.check.formats.sarif import render_sarif
from finstack.check.formats.text import render_text
from finstack.check.report import CheckReport

RENDERERS: dict[str, Callable[[CheckReport], str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def render(report: CheckReport, fmt: str) -> str:
    """The report in `fmt` (one of FORMATS), ending with a newline."""
    return RENDERERS[fmt](report)


__all__ = ["FORMATS", "render", "render_json", "render_sarif", "render_text"]
