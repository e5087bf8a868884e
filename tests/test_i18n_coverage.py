"""Every user-visible text in our templates and views goes through gettext."""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "app" / "templates").rglob("*.html"))
PY_FILES = sorted((ROOT / "app").rglob("*.py"))
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
# Text that is the same in every language: product names, codes, punctuation.
NEUTRAL_WORDS = {"e-PUPNS", "NIP", "NIK", "BKN", "PNS", "QR"}
VIEW_TEXT_ATTRS = {"list_title", "show_title", "add_title", "edit_title", "label", "category_label"}


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "alt", "aria-label") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def untranslated_template_texts(source: str) -> list[str]:
    collector = _TextCollector()
    collector.feed(JINJA.sub(" ", source))
    return [
        t
        for t in collector.texts
        if not set(re.findall(r"[A-Za-z][A-Za-z-]*", t)) <= NEUTRAL_WORDS and re.search(r"[A-Za-z]{2}", t)
    ]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_wrapped_for_translation(path):
    assert untranslated_template_texts(path.read_text()) == []


def test_detector_finds_bare_text():
    assert untranslated_template_texts("<p>Hello {{ _('World') }}</p>") == ["Hello"]
    assert untranslated_template_texts('<input placeholder="Type here">') == ["Type here"]
    assert untranslated_template_texts("<p>{{ _('Hello') }} – 2015</p>") == []


def _bare_strings(tree):
    """String literals shown to users but not passed through a gettext function."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "flash" and node.args and isinstance(node.args[0], ast.Constant):
                found.append((node.lineno, node.args[0].value))
            for kw in node.keywords:
                if kw.arg in VIEW_TEXT_ATTRS and isinstance(kw.value, ast.Constant):
                    found.append((node.lineno, kw.value.value))
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if getattr(target, "id", None) in VIEW_TEXT_ATTRS and isinstance(node.value.value, str):
                    found.append((node.lineno, node.value.value))
    return found


@pytest.mark.parametrize("path", PY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_user_text_is_wrapped_for_translation(path):
    assert _bare_strings(ast.parse(path.read_text())) == []


def test_python_detector_finds_bare_flash():
    tree = ast.parse("flash('Saved')\nflash(_('Saved'))\nx = V(label='Menu')\nlist_title = 'Employees'")
    assert sorted(text for _, text in _bare_strings(tree)) == ["Employees", "Menu", "Saved"]
