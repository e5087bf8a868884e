"""Issue 5 in a real browser: a PNS corrects his data in "Data Saya" (a new row of riwayat
golongan and a child), is refused Kirim until every section is reviewed, sends it; the
Verifikator SKPD marks the child "tidak sesuai" (BTS) and returns it; the PNS sees exactly
what to fix, fixes it and sends again; SKPD, Instansi and BKN verify (golongan is a BKN-level
change); the official record and both "Riwayat Perubahan" screens then show the change."""

import datetime as dt
import re
from io import BytesIO

import pytest
from pypdf import PdfWriter
from sqlalchemy import select

from app.extensions import db
from app.models import Golongan, Jadwal
from app.roles import ROLE_PNS
from app.services import workflow
from tests.browser.test_registration_journey import new_page  # noqa: F401
from tests.browser.test_staff_journey import login
from tests.helpers import make_user, set_phase
from tests.factories import PegawaiFactory, RiwayatGolonganFactory

pytestmark = pytest.mark.browser

SHOT = "verification_{:02d}_{}"
CHILD = "RARA HARTONO"
WRONG_BIRTH, RIGHT_BIRTH = "2015-03-02", "2015-02-03"  # day and month swapped on the form
NEW_TMT = "2015-04-01"
NEW_SK = "823.3/0415/BKD/2015"
SK_FILE = "SK-KP-III-c.pdf"
RETURN_REASON = "Tanggal lahir anak tidak sesuai akta kelahiran; perbaiki dan kirim ulang."
ITEM_NOTE = "Akta kelahiran menyebut 3 Februari 2015"


@pytest.fixture
def app_factory(app_factory):
    """The apps of this test (and so the live server) let the browser keep static files for
    an hour, as the production proxy does: the journey opens ~100 pages and would otherwise
    revalidate ~20 CSS/JS files on each."""

    def make(**overrides):
        return app_factory(**{"SEND_FILE_MAX_AGE_DEFAULT": 3600, **overrides})

    return make


@pytest.fixture
def journey(app, world):
    """A PNS of world's Dinas Pendidikan (instansi A) with two golongan rows (III/a, III/b),
    his account (login by NIP), and the run open today. The verifiers are world's: vskpd
    (Dinas Pendidikan and sub-units), vinstansi (instansi A), vbkn (Kanreg of instansi A)."""
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    golongan = {g.kode: g for g in db.session.scalars(select(Golongan))}
    pegawai = PegawaiFactory(
        unit_kerja=world["unit_a"],
        nama="RUDI HARTONO",
        jenis_kelamin="L",
        tanggal_lahir=dt.date(1984, 5, 17),
        tmt_cpns=dt.date(2007, 5, 1),
        tmt_pns=dt.date(2008, 5, 1),
        golongan=golongan["III/b"],
        tmt_golongan=dt.date(2011, 4, 1),
    )
    RiwayatGolonganFactory(pegawai=pegawai, kode="III/a", tmt_golongan=dt.date(2007, 5, 1))
    RiwayatGolonganFactory(pegawai=pegawai, kode="III/b", tmt_golongan=dt.date(2011, 4, 1))
    db.session.commit()
    make_user(app, pegawai.nip, ROLE_PNS, pegawai=pegawai)
    return {
        "nip": pegawai.nip,
        "id": pegawai.id,
        "new_golongan": f"{golongan['III/c'].kode} – {golongan['III/c'].pangkat}",
    }


def small_pdf() -> bytes:
    """A one-page blank PDF (the scanned SK kenaikan pangkat)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def submit(tab, locator):
    """Click a submit button and wait for the page it leads to."""
    with tab.expect_navigation():
        locator.click()


def enter(tab, label, text, option):
    """Type `text` into a text field, or choose the option labelled `option` of a select box."""
    field = tab.get_by_label(label, exact=True)
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(label=option)
    else:
        field.fill(text)


def flash_text(tab):
    return " ".join(tab.locator(".alert").all_inner_texts())


def open_section(tab, label):
    """From "Data Saya", follow the link of one section."""
    tab.goto("/data-saya/")
    with tab.expect_navigation():
        tab.locator("#sections").get_by_role("link", name=label, exact=True).click()


def not_reviewed(tab):
    """The sections "Data Saya" lists as "belum diperiksa"."""
    tab.goto("/data-saya/")
    rows = tab.locator("#sections tbody tr")
    return [
        rows.nth(i).get_attribute("data-section")
        for i in range(rows.count())
        if "belum diperiksa" in rows.nth(i).inner_text()
    ]


def review(tab, sections):
    """Mark each section "Sudah diperiksa" from its own page."""
    for section in sections:
        tab.goto(f"/data-saya/{section}")
        submit(tab, tab.locator("#reviewed_form").get_by_role("button", name="Sudah diperiksa"))
        assert "Bagian ditandai sudah diperiksa." in flash_text(tab), section


def kirim(tab):
    tab.goto("/data-saya/")
    submit(tab, tab.locator("#kirim_form").get_by_role("button", name="Kirim"))


def status_of(tab):
    return tab.locator("#usulan_status [data-status]").get_attribute("data-status")


def open_in_inbox(tab, nip):
    """The verifier finds the submission in his inbox by NIP and opens it."""
    tab.locator(".navbar .dropdown-toggle", has_text="Verifikasi").click()
    with tab.expect_navigation():
        tab.locator(".navbar").get_by_role("link", name="Kotak Masuk Verifikasi").click()
    tab.get_by_label("NIP").fill(nip)
    submit(tab, tab.get_by_role("button", name="Cari"))
    row = tab.locator("table tbody tr", has_text=nip)
    assert row.count() == 1, f"{nip} is not in the inbox of this verifier"
    submit(tab, row.get_by_role("link", name="Buka"))


def verify(tab, nip, shot=None, screenshot=None):
    open_in_inbox(tab, nip)
    if shot:
        screenshot(tab, shot)
    submit(tab, tab.get_by_role("button", name="Verifikasi"))
    assert "Selesai: Verifikasi." in flash_text(tab)


def item_panel(tab, section_label):
    """The panel of the verification page showing the item of one section."""
    return tab.locator(".panel").filter(
        has=tab.locator(".panel-heading strong", has_text=re.compile(rf"^{section_label}$"))
    )


def history_of(scope):
    """The rows of a "Riwayat Perubahan" table: (section, field label, new value, source)."""
    return scope.locator("#record_history tbody tr").evaluate_all("""rows => rows.map(r => [
        r.dataset.section, r.cells[2].innerText.trim(), r.querySelector('.new-value').innerText.trim(),
        r.cells[5].innerText.trim()])""")


def assert_history_shows_the_submission(rows):
    """The new golongan row and the child (with the corrected birth date) are in the history,
    each value marked as coming from the verified submission."""
    changes = {(section, field): new for section, field, new, _ in rows}
    assert changes.get(("riwayat_golongan", "Golongan")) == "III/c – Penata", rows
    assert changes.get(("riwayat_golongan", "TMT Golongan")) == "1 April 2015", rows
    assert changes.get(("anak", "Nama")) == CHILD, rows
    assert changes.get(("anak", "Tanggal Lahir")) == "3 Februari 2015", rows
    assert all(source.startswith("Usulan terverifikasi") for *_, source in rows), rows


def test_pns_corrects_data_and_three_levels_verify(
    journey,
    page,
    new_page,
    browser_log,
    screenshot,  # noqa: F811
):
    nip = journey["nip"]

    # -- the PNS: log in with his NIP, "Data Saya" -------------------------------------------
    login(page, nip)
    assert "/login/" not in page.url, "the PNS could not log in with his NIP"
    with page.expect_navigation():
        page.get_by_role("link", name="Data Saya").first.click()
    assert page.url.endswith("/data-saya/")
    assert status_of(page) == "draft"

    # A new golongan row, with TMT after his last one (III/b, 2011-04-01), and the SK scan.
    open_section(page, "Riwayat Golongan")
    official_rows = page.locator("#rows tbody tr").all_inner_texts()
    assert any("III/b" in r and "1 April 2011" in r for r in official_rows), official_rows
    page.get_by_label("Golongan", exact=True).select_option(label=journey["new_golongan"])
    page.get_by_label("Nomor SK", exact=True).fill(NEW_SK)
    page.get_by_label("Tanggal SK", exact=True).fill("2015-03-20")
    page.get_by_label("TMT Golongan", exact=True).fill(NEW_TMT)
    page.get_by_label("Dokumen pendukung").set_input_files(
        files=[{"name": SK_FILE, "mimeType": "application/pdf", "buffer": small_pdf()}]
    )
    submit(page, page.get_by_role("button", name="Simpan ke draf"))
    assert "Usulan Anda tersimpan di draf." in flash_text(page), flash_text(page)
    added = page.locator("#rows tbody tr.warning", has_text=NEW_SK)
    assert added.count() == 1, "the proposed golongan row is not shown"
    assert "III/c" in added.inner_text() and "1 April 2015" in added.inner_text()
    assert SK_FILE in added.inner_text(), "the attached SK is not shown with the row"
    screenshot(page, SHOT.format(1, "golongan_proposed"))

    # A child.
    open_section(page, "Anak")
    page.get_by_label("Nama", exact=True).fill(CHILD)
    page.get_by_label("Tempat Lahir", exact=True).fill("Yogyakarta")
    page.get_by_label("Tanggal Lahir", exact=True).fill(WRONG_BIRTH)
    enter(page, "Jenis Kelamin", "P", "Perempuan")
    enter(page, "Status Anak", "kandung", "Kandung")
    enter(page, "Status Hidup", "hidup", "Hidup")
    submit(page, page.get_by_role("button", name="Simpan ke draf"))
    assert "Usulan Anda tersimpan di draf." in flash_text(page), flash_text(page)
    assert page.locator("#rows tbody tr.warning", has_text=CHILD).count() == 1
    screenshot(page, SHOT.format(2, "anak_proposed"))

    # Kirim before reviewing everything: refused, and every unreviewed section is listed.
    review(page, ["riwayat_golongan", "anak"])
    kirim(page)
    problems = page.locator("#kirim_problems")
    assert problems.count() == 1, "Kirim was not refused"
    assert "Usulan belum dapat dikirim" in problems.inner_text()
    listed = set(problems.locator("li").evaluate_all("els => els.map(e => e.dataset.section)"))
    assert listed == set(workflow.SECTIONS) - {"riwayat_golongan", "anak"}
    assert "Data Utama: belum diperiksa." in problems.inner_text()
    assert status_of(page) == "draft"
    screenshot(page, SHOT.format(3, "kirim_refused"))

    # Every section reviewed: Kirim goes to the SKPD.
    review(page, not_reviewed(page))
    kirim(page)
    assert "Usulan Anda telah dikirim untuk diverifikasi." in flash_text(page)
    assert status_of(page) == "di_skpd"
    assert page.locator("#kirim_form").count() == 0
    screenshot(page, SHOT.format(4, "sent"))

    # -- Verifikator SKPD: the child's birth date does not match the akta: return ---------------
    skpd = new_page()
    login(skpd, "vskpd")
    open_in_inbox(skpd, nip)
    assert "Perlu verifikasi BKN" in skpd.inner_text("body"), "golongan is a BKN-level change"
    golongan_panel = item_panel(skpd, "Riwayat Golongan")
    assert "III/c – Penata" in golongan_panel.inner_text()
    # The verifier opens the SK the PNS attached.
    sk_link = golongan_panel.locator("a.pupns-doc", has_text=SK_FILE)
    sk = skpd.context.request.get(sk_link.get_attribute("href"))
    assert sk.status == 200 and sk.body().startswith(b"%PDF-"), "the attached SK does not open"
    anak = item_panel(skpd, "Anak")
    assert CHILD in anak.inner_text()
    anak.locator("select[name=verdict]").select_option(label="Tidak sesuai")
    anak.locator("select[name=reason_code]").select_option(value="BTS")
    anak.locator("input[name=note]").fill(ITEM_NOTE)
    submit(skpd, anak.get_by_role("button", name="Simpan"))
    assert "Tanda pemeriksaan disimpan." in flash_text(skpd)
    anak = item_panel(skpd, "Anak")
    assert "Tidak sesuai" in anak.locator(".panel-heading").inner_text()
    skpd.get_by_role("textbox", name="Alasan", exact=True).fill(RETURN_REASON)
    screenshot(skpd, SHOT.format(5, "skpd_marks_and_returns"))
    submit(skpd, skpd.get_by_role("button", name="Kembalikan"))
    assert "Selesai: Kembalikan." in flash_text(skpd)

    # -- the PNS sees what to fix and why --------------------------------------------------------
    page.goto("/data-saya/")
    assert status_of(page) == "draft"
    returned = page.locator("#returned")
    assert returned.count() == 1, "the returned submission says nothing"
    text = returned.inner_text()
    assert "Usulan Anda dikembalikan." in text and RETURN_REASON in text
    fix = returned.locator("li")
    assert fix.count() == 1, f"exactly the child should be listed: {text!r}"
    assert "Anak" in fix.inner_text() and "Dokumen tidak sesuai dengan data" in fix.inner_text()
    assert ITEM_NOTE in fix.inner_text()
    screenshot(page, SHOT.format(6, "returned"))

    with page.expect_navigation():
        fix.get_by_role("link", name="perbaiki").click()
    assert page.url.endswith("/data-saya/anak")
    row = page.locator("#rows tbody tr.warning", has_text=CHILD)
    assert "tidak sesuai" in row.inner_text().lower() and ITEM_NOTE in row.inner_text()
    with page.expect_navigation():
        row.get_by_role("link", name="Ubah").click()
    assert page.get_by_label("Nama", exact=True).input_value() == CHILD
    page.get_by_label("Tanggal Lahir", exact=True).fill(RIGHT_BIRTH)
    submit(page, page.get_by_role("button", name="Simpan ke draf"))
    assert "Usulan Anda tersimpan di draf." in flash_text(page), flash_text(page)
    row = page.locator("#rows tbody tr.warning", has_text=CHILD)
    assert "tidak sesuai" not in row.inner_text().lower(), "the fixed row still shows the verdict"
    screenshot(page, SHOT.format(7, "anak_fixed"))
    again = not_reviewed(page)
    assert "anak" in again, "the edited section kept its review mark"
    review(page, again)
    kirim(page)
    assert status_of(page) == "di_skpd"

    # -- SKPD, Instansi, BKN verify ---------------------------------------------------------------
    verify(skpd, nip)
    instansi = new_page()
    login(instansi, "vinstansi")
    verify(instansi, nip)
    bkn = new_page()
    login(bkn, "vbkn")
    verify(bkn, nip, SHOT.format(8, "bkn_verifies"), screenshot)

    # -- the official record: staff on the Pegawai page ------------------------------------------
    instansi.goto("/pegawaiview/list/")
    with instansi.expect_navigation():
        instansi.locator(f'table a[href*="/pegawaiview/show/{journey["id"]}"]').first.click()
    assert "RUDI HARTONO" in instansi.inner_text("body")
    rows = {}
    for view, label in (("RiwayatGolonganView", "Riwayat Golongan"), ("AnakView", "Anak")):
        instansi.locator(f"#{view} .accordion-toggle", has_text=label).click()
        body = instansi.locator(f"#{view}_href")
        body.wait_for(state="visible")
        rows[view] = body.locator("table tbody tr").all_inner_texts()
    assert any("III/c" in r and "1 April 2015" in r for r in rows["RiwayatGolonganView"]), rows
    assert len(rows["RiwayatGolonganView"]) == 3, rows
    assert any(CHILD in r for r in rows["AnakView"]), rows
    # "Riwayat Perubahan" on the same page: every value the verified submission wrote.
    staff_history = history_of(instansi.locator("#riwayat_perubahan"))
    assert_history_shows_the_submission(staff_history)
    screenshot(instansi, SHOT.format(9, "pegawai_show_with_history"))

    # -- and the PNS on "Data Saya" ---------------------------------------------------------------
    open_section(page, "Riwayat Golongan")
    official = page.locator("#rows tbody tr", has_text=NEW_SK)
    assert official.count() == 1, "the verified golongan row is not in his record"
    assert "III/c" in official.inner_text() and "Data resmi" in official.inner_text()
    assert "warning" not in (official.get_attribute("class") or ""), "still shown as a proposal"
    open_section(page, "Anak")
    official = page.locator("#rows tbody tr", has_text=CHILD)
    assert official.count() == 1 and "3 Februari 2015" in official.inner_text()
    assert "Data resmi" in official.inner_text()
    screenshot(page, SHOT.format(10, "data_saya_anak_official"))

    # -- his own change history ("Riwayat Perubahan") ---------------------------------------------
    page.goto("/data-saya/")
    screenshot(page, SHOT.format(12, "data_saya_after"))
    with page.expect_navigation():
        page.get_by_role("link", name="Riwayat perubahan data resmi saya").click()
    assert page.url.endswith("/data-saya/riwayat-perubahan")
    assert "Riwayat Perubahan" in page.locator("h2").inner_text()
    assert_history_shows_the_submission(history_of(page))
    screenshot(page, SHOT.format(11, "riwayat_perubahan_pns"))

    assert not browser_log.external, f"requests left 127.0.0.1: {browser_log.external}"
    assert not browser_log.http_errors, f"failing requests: {browser_log.http_errors}"
    assert not browser_log.js_errors, f"JavaScript errors: {browser_log.js_errors}"
