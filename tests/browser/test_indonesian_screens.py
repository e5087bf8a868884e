"""Issue 3: the screens a PNS and a verifikator see first are in Indonesian, with no English
Flask-AppBuilder strings left over. Full-page screenshots land in test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest

from app.extensions import db
from app.models.schedule import Jadwal
from tests.browser.test_staff_journey import login

# English strings FAB (or an untranslated template) would show; none may be visible.
ENGLISH = [
    "Sign In",
    "Username",
    "Password",
    "Search",
    "List",
    "Record Count",
    "Actions",
    "Back",
    "Add",
    "Edit",
    "Delete",
    "Logout",
    "Login",
    "Welcome",
    "Employee",
    "Employees",
    "Register",
    "Check status",
    "Report",
]


def english_left(text):
    """The ENGLISH strings that occur in `text` as whole words (case-sensitive)."""
    return [word for word in ENGLISH if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]


@pytest.fixture
def open_phase(app):
    """A national pengisian phase covering today, so the phase bar shows it."""
    today = dt.date.today()
    jadwal = Jadwal(
        fase=Jadwal.FASE_PENGISIAN, mulai=today - dt.timedelta(days=3), selesai=today + dt.timedelta(days=9)
    )
    db.session.add(jadwal)
    db.session.commit()
    return jadwal


def test_english_words_are_detected_as_whole_words():
    """The check itself: "Listrik" or "Addendum" are no leftovers, "List" and "Sign In" are."""
    assert english_left("Listrik Addendum Passwordless") == []
    assert english_left("Record Count: 3 | Sign In") == ["Sign In", "Record Count"]


def test_public_and_staff_screens_are_indonesian(world, open_phase, page, browser_log, screenshot):
    # Landing page: the portal buttons and the phase bar, in Indonesian.
    assert page.goto("/").status == 200
    shot = screenshot(page, "id_landing")
    body = page.inner_text("body")
    assert english_left(body) == [], f"English left on /: {english_left(body)}"
    phase_bar = page.locator(".pupns-phasebar").inner_text()
    assert "Pengisian" in phase_bar, f"the pengisian phase is not in the phase bar: {phase_bar!r}"
    assert "10 hari" in phase_bar, f"days left missing from the phase bar: {phase_bar!r}"
    actions = page.locator(".pupns-actions")
    for label in (re.compile(r"\b(Daftar|Registrasi)\b"), "Cek Status", "Masuk", "Laporkan"):
        assert actions.get_by_role("link", name=label).count() == 1, f"no {label!r} button on /"
    assert shot.stat().st_size > 10_000

    # Login page: the 2015 labels.
    assert page.goto("/login/").status == 200
    shot = screenshot(page, "id_login")
    body = page.inner_text("body")
    assert english_left(body) == [], f"English left on /login/: {english_left(body)}"
    assert page.get_by_role("button", name="Masuk").count() == 1, "no 'Masuk' button on the login form"
    assert "Kata Kunci" in body
    assert "NIP atau Nomor Registrasi" in body
    assert shot.stat().st_size > 10_000

    # A verifikator's staff list.
    login(page, "vinstansi")
    assert "/login/" not in page.url, "login failed: still on the login page"
    assert page.goto("/pegawaiview/list/").status == 200
    shot = screenshot(page, "id_pegawai_list")
    body = page.inner_text("body")
    assert english_left(body) == [], f"English left on the staff list: {english_left(body)}"
    assert "Data Pegawai" in body
    assert "BUDI SANTOSO" in body
    assert "Pengisian" in page.locator(".pupns-phasebar").inner_text()
    # FAB's icon buttons (add, back, show/edit/delete) speak through their tooltips.
    tooltips = page.eval_on_selector_all(
        "[data-original-title], [title]",
        "els => els.map(e => e.getAttribute('data-original-title') || e.getAttribute('title'))",
    )
    assert "Tambah data baru" in tooltips and "Hapus data" in tooltips, tooltips
    assert english_left(" | ".join(t for t in tooltips if t)) == [], f"English tooltips: {tooltips}"
    assert shot.stat().st_size > 10_000

    assert not browser_log.http_errors, f"failing requests: {browser_log.http_errors}"
    assert not browser_log.js_errors, f"JavaScript errors: {browser_log.js_errors}"
