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
from tests.browser.conftest import LIVE_HOST, SCREENSHOT_DIR, new_context
from tests.browser.test_staff_journey import login

ARTIFACTS = SCREENSHOT_DIR.parent
PNS_PASSWORD = "Melati-Putih-2015"
# One msgid ("Register") labels the landing button and the final submit; the catalogue has
# said "Registrasi" (the 2015 label) and "Daftar": either is Indonesian.
REGISTER = re.compile(r"\b(Daftar|Registrasi)\b")
EMAIL = "siti.aminah@contoh.go.id"


@pytest.fixture
def open_phase(app):
    """A national registration-and-filling-in phase covering today."""
    today = dt.date.today()
    db.session.add(
        Jadwal(fase=Jadwal.FASE_PENGISIAN, mulai=today - dt.timedelta(days=1), selesai=today + dt.timedelta(days=30))
    )
    db.session.commit()


def _tab_of(request):
    """The tab that made `request`; None for a popup's first request (no frame yet)."""
    try:
        return request.frame.page
    except Exception:
        return None


def guard_context(context, browser_log, skip=None):
    """Record into `browser_log` like the `page` fixture does, for every tab of `context`
    (popups included) but `skip`: web requests leaving 127.0.0.1, HTTP errors, JavaScript
    errors. Chromium's own PDF viewer (chrome-extension://) is no web request."""

    def on_request(request):
        if skip is not None and _tab_of(request) is skip:
            return  # the `page` fixture records its own tab
        browser_log.requests.append(request.url)
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname != LIVE_HOST:
            browser_log.external.append(request.url)

    def on_response(response):
        if skip is not None and _tab_of(response.request) is skip:
            return
        if response.status >= 400:
            browser_log.http_errors.append(f"{response.status} {response.url}")

    context.on("request", on_request)
    context.on("response", on_response)
    context.on("page", lambda tab: tab.on("pageerror", lambda e: browser_log.js_errors.append(str(e))))


@pytest.fixture
def new_page(browser, live_server, browser_log):
    """Another browser (fresh context, no cookies) set up like the `page` fixture: a second
    person at another computer."""
    contexts = []

    def make():
        context = new_context(browser, live_server)
        contexts.append(context)
        guard_context(context, browser_log)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert not browser_log.external, f"requests left 127.0.0.1: {browser_log.external}"


def pdf_to_png(pdf_path: Path) -> Path | None:
    """First page of the PDF as PNG at 70 dpi next to it (None without poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        return None
    prefix = pdf_path.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf_path), str(prefix)], check=True
    )
    return prefix.with_suffix(".png")


def test_pns_registers_prints_is_approved_and_logs_in(world, open_phase, page, new_page, browser_log, screenshot):
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

    # "Cetak": the proof opens in a new tab, in Chromium's PDF viewer (so no download event
    # and the viewer replaces the response body). The bytes the browser received are kept
    # by passing the request through a route.
    proofs = []

    def keep_proof(route):
        response = route.fetch()
        proofs.append((response.status, response.headers, response.body()))
        route.fulfill(response=response)

    page.context.route("**/registrasi/bukti/*.pdf", keep_proof)
    # The `page` fixture watches its own tab only; the proof's tab must stay offline too.
    guard_context(page.context, browser_log, skip=page)
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="Cetak").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert urlsplit(popup.url).path.endswith(".pdf"), f"Cetak opened {popup.url}"
    assert popup.url in browser_log.requests, "the proof's tab is not watched"
    assert len(proofs) == 1, "the proof was not requested (once)"
    status, headers, body = proofs[0]
    assert status == 200
    assert headers["content-type"] == "application/pdf"
    assert f'filename="bukti-registrasi-{nomor}.pdf"' in headers["content-disposition"]
    popup.close()
    pdf_path = ARTIFACTS / "bukti_registrasi.pdf"
    pdf_path.write_bytes(body)
    assert body.startswith(b"%PDF"), "Cetak did not deliver a PDF"
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(body)).pages)
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
    assert "1 registrasi disetujui" in staff.inner_text("body"), "no confirmation of the approval"
    # The inbox went back to the pending list; the decision shows under "Semua".
    search = staff.get_by_role("search")
    search.get_by_label("Status").select_option(label="Semua")
    search.get_by_role("button", name="Cari").click()
    row = staff.locator("tr", has_text=nomor)
    row.wait_for()
    assert "Disetujui" in row.inner_text(), f"not shown as approved: {row.inner_text()!r}"
    assert "vinstansi" in row.inner_text(), "the approver is not shown"
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
