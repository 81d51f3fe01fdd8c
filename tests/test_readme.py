"""The README stays true: its config reference names every config key, its commands exist."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from infra.config import StackConfig
from tests.plan import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def _keys(model: type[BaseModel], prefix: str) -> list[str]:
    keys: list[str] = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        nested = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            keys.append(f"{prefix}{alias}")
        for sub in nested:
            sep = "[]." if annotation is not sub else "."
            keys.extend(_keys(sub, f"{prefix}{alias}{sep}"))
    return keys


def test_readme__config_reference_lists_every_key() -> None:
    keys = [k for k in _keys(StackConfig, "finstack:") if k != "finstack:awsRegion"] + ["aws:region"]
    missing = []
    rows = [line for line in README.splitlines() if line.startswith("| `")]
    for key in keys:
        parent, _, leaf = key.rpartition(".")
        # A row names the key, or its block and the leaf (siblings share rows: "nodeMinSize / nodeDesiredSize").
        if not any(f"`{key}`" in row or (parent and f"`{parent}" in row and leaf in row) for row in rows):
            missing.append(key)
    assert not missing, f"README config reference lacks: {missing}"


def test_readme__names_the_two_commands_and_ci_calls_make_test() -> None:
    assert "make demo" in README and "make test" in README
    ci = (PROJECT_DIR / ".ci" / "run").read_text()
    assert "make test" in ci.split("\n")[-2] or "make test" in ci
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile


def test_readme__mermaid_architecture_present() -> None:
    assert "```mermaid" in README


def test_readme__stack_files_exist() -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        assert Path(PROJECT_DIR / name).is_file(), name
