"""docs/roles.md is the registry's table, not a copy that drifts."""

from __future__ import annotations

from pathlib import Path

from chitnode.domain.kinds import roles_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def test_roles_doc_matches_the_registry() -> None:
    assert DOC.read_text() == roles_markdown(), "regenerate: chitnode roles > docs/roles.md"
