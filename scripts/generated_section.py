"""A generated section of a document: the text between two marker lines is rewritten by a
script (`python scripts/X.py`), and `--check` (or a test calling `render`) says when it is stale."""

import argparse
from pathlib import Path


def render(text: str, begin: str, end: str, content: str) -> str:
    """`text` with the part between the `begin` and `end` markers replaced by `content`."""
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{content}\n{end}{tail}"


def main(doc: Path, root: Path, render_doc, script: str, description: str) -> int:
    """Rewrite `doc` with `render_doc(text)`; with --check only report (exit 1) a stale file."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    current = doc.read_text(encoding="utf-8")
    wanted = render_doc(current)
    if args.check:
        if current != wanted:
            print(f"{doc.relative_to(root)} is stale: run {script}")
            return 1
        return 0
    doc.write_text(wanted, encoding="utf-8")
    return 0
