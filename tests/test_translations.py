"""The Indonesian catalogue is complete, current with the code, and what users actually see.

translations/id/LC_MESSAGES/messages.po holds our msgids, Flask-AppBuilder's
(translations/fab-<version>.pot; FAB ships no Indonesian catalogue of its own) and WTForms'
(translations/wtforms-<version>.pot).
Fix a failure here with `make translations-update` and translate what it lists.
"""

import functools
import importlib.util
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .helpers import csrf_token

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
ID_PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"
ID_MO = ID_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|\{\w*\}")


@functools.cache
def _updater():
    """scripts/update_translations.py: the one place that knows how to extract our msgids."""
    spec = importlib.util.spec_from_file_location("update_translations", ROOT / "scripts" / "update_translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def _msgids(catalog):
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def id_catalog():
    return _read(ID_PO)


@pytest.fixture(scope="module")
def compiled_catalogue(id_catalog):
    """Flask-Babel reads the .mo; build it when the .po is newer (as `make translations` does)."""
    if not ID_MO.exists() or ID_MO.stat().st_mtime < ID_PO.stat().st_mtime:
        # Write then rename, so a test run in parallel never reads half a file.
        fd, tmp = tempfile.mkstemp(dir=ID_MO.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, id_catalog)
        os.replace(tmp, ID_MO)


class _VisibleText(HTMLParser):
    """Text a user reads: element text plus button values, titles and placeholders."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (
                name in ("title", "placeholder", "alt", "aria-label")
                or (name == "value" and dict(attrs).get("type") in ("submit", "button"))
            ):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(response) -> str:
    parser = _VisibleText()
    parser.feed(response.get_data(as_text=True))
    return "\n".join(parser.parts)


def _words(text):
    """Each visible fragment, for whole-fragment comparisons ("Login" vs "Login count")."""
    return {line.strip().rstrip(":").strip() for line in text.splitlines()}


# --- the catalogue file -------------------------------------------------------------------


def test_catalogue_is_indonesian_with_a_single_plural_form(id_catalog):
    assert str(id_catalog.locale) == "id"
    assert id_catalog.num_plurals == 1
    assert id_catalog.plural_expr == "0"
    assert not id_catalog.fuzzy, "the header is marked fuzzy: pybabel compile would skip the file"


def test_every_msgid_has_an_indonesian_translation_and_none_is_fuzzy():
    assert _updater().untranslated("id") == []


def test_translations_keep_every_placeholder(id_catalog):
    broken = []
    for message in id_catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        expected = sorted(set(PLACEHOLDER.findall(ids[-1])))
        for string in strings:
            if string and sorted(set(PLACEHOLDER.findall(string))) != expected:
                broken.append((ids[0], string))
    assert broken == []


def test_detector_finds_a_lost_placeholder():
    assert PLACEHOLDER.findall("%(count)d records deleted, %s left {0}") == ["%(count)d", "%s", "{0}"]
    assert PLACEHOLDER.findall("data telah dihapus") == []


def test_every_msgid_in_our_code_is_in_the_catalogue(id_catalog, tmp_path):
    extracted = _updater().extract_app_catalog(tmp_path / "app.pot")
    assert len(extracted) > 50, "extraction found almost nothing: check babel.cfg"
    missing = sorted(_msgids(extracted) - _msgids(id_catalog))
    assert missing == [], "run `make translations-update` and translate these"


def test_every_flask_appbuilder_msgid_is_in_the_catalogue(id_catalog):
    fab = _read(_updater().FAB_POT)
    assert {"Sign In", "Username", "Password", "Search", "Add Filter"} <= _msgids(fab)
    assert sorted(_msgids(fab) - _msgids(id_catalog)) == []


def test_every_wtforms_validator_message_is_in_the_catalogue(id_catalog):
    wtforms_pot = _read(_updater().WTFORMS_POT)
    assert {"This field is required.", "Not a valid date value."} <= _msgids(wtforms_pot)
    assert sorted(_msgids(wtforms_pot) - _msgids(id_catalog)) == []


def test_house_terms_are_used(id_catalog):
    """The words the 2015 portal used, so staff manuals and helpdesk scripts still match."""
    expected = {
        "Save": "Simpan",
        "Search": "Cari",
        "Edit": "Ubah",
        "Delete": "Hapus",
        "Sign In": "Masuk",
        "Logout": "Keluar",
        "Password": "Kata Kunci",
        "Username": "Nama Pengguna",
        "List Users": "Daftar Pengguna",
        "Employee": "Pegawai",
        "Work unit": "Unit Kerja",
        "Date of birth": "Tanggal Lahir",
    }
    assert {k: id_catalog.get(k).string for k in expected} == expected


# --- what users see -----------------------------------------------------------------------


def test_our_catalogue_is_read_and_wins_over_flask_appbuilders(app):
    """Flask-Babel merges the directories in order, later ones overriding earlier ones."""
    directories = [os.path.realpath(d) for d in app.extensions["babel"].translation_directories]
    assert directories[-1] == os.path.realpath(TRANSLATIONS), (
        "translations/ is not the last directory Flask-Babel reads; FAB 5.3.0 ignores "
        "BABEL_DEFAULT_FOLDER: set BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / 'translations') "
        f"in config.py (now {directories})"
    )


def test_login_page_is_indonesian_by_default(client, compiled_catalogue):
    response = client.get("/login/")
    assert response.status_code == 200
    text = visible_text(response)
    words = _words(text)
    assert {"Masuk", "Nama Pengguna", "Kata Kunci"} <= words
    assert "Masukkan nama pengguna dan kata kunci Anda di bawah ini" in text
    for english in ("Sign In", "Username", "Password", "Login", "Enter your login and password below"):
        assert english not in words, f"{english!r} is still English on the login page"
    # The language picker offers English.
    assert "English" in text


def test_english_stays_available_from_the_language_picker(client, compiled_catalogue):
    client.get("/lang/en")
    words = _words(visible_text(client.get("/login/")))
    assert {"Sign In", "Username", "Password"} <= words
    assert "Kata Kunci" not in words

    client.get("/lang/id")
    assert "Kata Kunci" in _words(visible_text(client.get("/login/")))


def test_failed_login_message_is_indonesian(client, compiled_catalogue):
    token = csrf_token(client, "/login/")
    response = client.post(
        "/login/",
        data={"username": "tidak-ada", "password": "salah", "csrf_token": token},
        follow_redirects=True,
    )
    text = visible_text(response)
    assert "Login gagal: periksa NIP, nomor registrasi atau nama pengguna" in text
    assert "Invalid login" not in text and "Login failed" not in text


def test_user_list_search_paging_and_delete_confirmation_are_indonesian(client, auth, world, compiled_catalogue):
    auth.login("admin")
    response = client.get("/users/list/")
    assert response.status_code == 200
    text = visible_text(response)
    words = _words(text)
    assert {"Daftar Pengguna", "Cari", "Tambah Filter", "Jumlah Data", "Keluar"} <= words
    for english in ("List Users", "Search", "Add Filter", "Record Count", "Logout", "Actions"):
        assert english not in words, f"{english!r} is still English on the user list"
    # The delete confirmation lives in the row buttons' script.
    html = response.get_data(as_text=True)
    assert "Apakah Anda yakin akan menghapus data ini?" in html
    assert "Are you sure you want to delete" not in html
