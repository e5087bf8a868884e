"""Issue 4 in a real browser: a PNS registers from the landing page, prints the proof, the
Verifikator Instansi approves the registration in the inbox, and the PNS logs in with his NIP
and, in another browser, with his nomor registrasi."""
import datetime as dt
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models.registration import Registrasi
from app.models.schedule import Jadwal
from tests.browser.conftest import LIVE_HOST, SCREENSHOT_DIR
from tests.browser.test_staff_journey import login

ARTIFACTS = SCREENSHOT_DIR.parent
PNS_PASSWORD = "Melati-Putih-2015"
# One msgid ("Register") labels the landing button and the final submit; the catalogue has
# said "Registrasi" (the 2015 label) and "Daftar": either is Indonesian.
REGISTER = re.compile(r"^\s*(Daftar|Registrasi)\s*$")
EMAIL = "siti.aminah@contoh.go.id"


@pytest.fixture
def open_phase(app):
    """A national registration-and-filling-in phase covering today."""
    today = dt.date.today()
    db.session.add(Jadwal(fase=Jadwal.FASE_PENGISIAN, mulai=today - dt.timedelta(days=1),
                          selesai=today + dt.timedelta(days=30)))
    db.session.commit()


@pytest.fixture
def new_page(browser, live_server, browser_log):
    """Another browser (fresh context, no cookies) with the same set-up and request guard as
    the `page` fixture: a second person at another computer."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_server, locale="id-ID", timezone_id="Asia/Jakarta",
            viewport={"width": 1280, "height": 800},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        tab = context.new_page()

        def on_request(request):
            browser_log.requests.append(request.url)
            host = urlsplit(request.url).hostname
            if host is not None and host != LIVE_HOST:
                browser_log.external.append(request.url)

        tab.on("request", on_request)
        tab.on("response", lambda r: r.status >= 400 and browser_log.http_errors.append(f"{r.status} {r.url}"))
        tab.on("pageerror", lambda error: browser_log.js_errors.append(str(error)))
        return tab

    yield make
    for context in contexts:
        context.close()
    assert not browser_log.external, f"requests left 127.0.0.1: {browser_log.external}"


def pdf_to_png(pdf_path: Path) -> Path | None:
    """First page of the PDF as PNG at 70 dpi next to it (None without poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        return None
    prefix = pdf_path.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf_path), str(prefix)], check=True)
    return prefix.with_suffix(".png")


def test_pns_registers_prints_is_approved_and_logs_in(
    world, open_phase, page, new_page, browser_log, screenshot
):
    pegawai = world["peg_sub"]
    nip, nama, instansi = pegawai.nip, pegawai.nama_lengkap, world["inst_a"].nama

    # -- the PNS: landing page → "Daftar" -------------------------------------------------
    page.goto("/")
    page.locator(".pupns-actions").get_by_role("link", name=REGISTER).click()
    page.wait_for_url("**/registrasi/")

    page.get_by_label("NIP Baru").fill(nip)
    page.get_by_role("button", name="Cari").click()
    identity = page.locator(".pupns-identity")
    identity.wait_for()
    assert nama in identity.inner_text()
    assert instansi in identity.inner_text()
    screenshot(page, "registration_1_nip_found")

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Lanjut").click()
    page.wait_for_url("**/registrasi/langkah-2")
    assert nama in page.locator(".pupns-identity").inner_text(), "step 2 lost the identity"
    assert EMAIL in page.locator(".pupns-identity").inner_text()

    page.get_by_label("Kata Kunci", exact=True).fill(PNS_PASSWORD)
    page.get_by_label("Konfirmasi Kata Kunci").fill(PNS_PASSWORD)
    page.get_by_label("Nama Ibu Kandung").fill("SRI WAHYUNI")
    question = page.get_by_label("Pertanyaan Pengaman")
    question.select_option(index=1)
    assert question.input_value() != "0", "no security question to choose"
    page.get_by_label("Jawaban").fill("Kucing belang tiga")
    screenshot(page, "registration_2_account")
    page.get_by_role("button", name=REGISTER).click()

    page.wait_for_url("**/registrasi/selesai")
    nomor = page.locator("#nomor-registrasi").inner_text().strip()
    assert len(nomor.replace("-", "")) == 12 and nomor.count("-") == 2, f"odd nomor {nomor!r}"
    assert "Nomor Registrasi" in page.inner_text("body")
    screenshot(page, "registration_3_done")

    # "Cetak": the proof opens in a new tab. Debian's Chromium shows it in its PDF viewer
    # (no download event), so the PDF is taken from the tab's response, as the browser got it.
    seen = []
    page.context.on("request", lambda request: seen.append(request.url))
    with page.context.expect_event(
        "response", predicate=lambda r: urlsplit(r.url).path.endswith(".pdf")
    ) as response_info:
        with page.expect_popup() as popup_info:
            page.get_by_role("link", name="Cetak").click()
    response = response_info.value
    popup = popup_info.value
    popup.wait_for_load_state()
    print("SEEN", seen)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="bukti-registrasi-{nomor}.pdf"' in response.headers["content-disposition"]
    assert popup.url == response.url
    pdf_path = ARTIFACTS / "bukti_registrasi.pdf"
    pdf_path.write_bytes(response.body())
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF"), "Cetak did not deliver a PDF"
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    for expected in (nomor, nip, nama, instansi):
        assert expected in text, f"{expected!r} missing from the printed proof"
    png = pdf_to_png(pdf_path)
    if png is not None:
        assert png.stat().st_size > 5_000, "the rendered proof is (nearly) empty"

    # -- the Verifikator Instansi approves it -------------------------------------------------
    staff = new_page()
    login(staff, "vinstansi")
    assert "/login/" not in staff.url, "staff login failed"
    staff.goto("/persetujuan/")
    search = staff.get_by_role("search")
    search.get_by_label("Nomor registrasi atau NIP").fill(nomor)
    search.get_by_role("button", name="Cari").click()
    row = staff.locator("tr", has_text=nomor)
    row.wait_for()
    assert nama in row.inner_text()
    screenshot(staff, "registration_4_inbox")
    row.get_by_role("button", name="Setujui").click()
    staff.wait_for_load_state()
    row = staff.locator("tr", has_text=nomor)
    assert "Disetujui" in row.inner_text(), f"not shown as approved: {row.inner_text()!r}"
    screenshot(staff, "registration_5_approved")
    db.session.expire_all()
    registrasi = db.session.scalar(select(Registrasi).where(Registrasi.pegawai_id == pegawai.id))
    assert registrasi.status == Registrasi.STATUS_DISETUJUI

    # -- the PNS logs in: with his NIP, and at another computer with the nomor ---------------
    for identifier, shot in ((nip, "registration_6_login_nip"), (nomor, "registration_7_login_nomor")):
        pns = new_page()
        login(pns, identifier, PNS_PASSWORD)
        assert "/login/" not in pns.url, f"login with {identifier} failed: still on the login page"
        assert pns.locator("input[name=password]").count() == 0, "a login form is still shown"
        assert nama in pns.inner_text("body"), f"{nama} not shown after logging in with {identifier}"
        screenshot(pns, shot)

    assert not browser_log.http_errors, f"failing requests: {browser_log.http_errors}"
    assert not browser_log.js_errors, f"JavaScript errors: {browser_log.js_errors}"
