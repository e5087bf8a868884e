"""The project's own documents: the state diagram follows the code, and no link leaves the repo."""

import re
from pathlib import Path

from scripts import workflow_diagram

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_the_state_diagram_in_docs_is_the_transition_table():
    current = workflow_diagram.DOC.read_text(encoding="utf-8")
    assert current == workflow_diagram.render(current), (
        "docs/workflow.md is stale: run .venv/bin/python scripts/workflow_diagram.py"
    )


def test_every_transition_appears_in_the_diagram():
    from app.services import workflow

    text = workflow_diagram.diagram()
    for status, action in workflow.TRANSITIONS:
        assert re.search(rf"^    {status} --> \w+: {action} — ", text, re.M), (status, action)


def test_documents_link_only_inside_the_repository():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert "../shared" not in text, f"{doc.name} links outside the repository"
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (doc.parent / target).exists(), f"{doc.name}: dead link {target}"
