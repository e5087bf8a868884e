"""Issue 14 in a real browser: the PNS enters a child born in 2040, saves, and reads the
Indonesian message next to the birth-date field (nothing is saved); he corrects the date and
the row is in his draft. On his main data his NIP, NIK and status are shown read-only with
the note that they change through the Helpdesk, and the golongan follows its history. A
golongan jump is sent and the verifier sees it highlighted."""

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Golongan, Jadwal, User
from app.models.family import Anak
from app.roles import ROLE_PNS
from app.services import workflow
from tests.browser.test_staff_journey import login
from tests.browser.test_verification_journey import flash_text, open_section, submit
from tests.helpers import make_user, set_phase
from tests.factories import PegawaiFactory, RiwayatGolonganFactory

pytestmark = pytest.mark.browser

CHILD = "SEKAR AYU"
FUTURE_BIRTH, RIGHT_BIRTH = "2040-03-02", "2016-03-02"


@pytest.fixture
def pns(app, world):
    """A PNS of world's Dinas Pendidikan with one golongan row, his account, the run open."""
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    iii_a = db.session.scalar(select(Golongan).where(Golongan.kode == "III/a"))
    pegawai = PegawaiFactory(
        unit_kerja=world["unit_a"],
        nama="ANDI WIJAYA",
        jenis_kelamin="L",
        tanggal_lahir=dt.date(1986, 2, 11),
        tmt_cpns=dt.date(2010, 3, 1),
        tmt_pns=dt.date(2011, 3, 1),
        golongan=iii_a,
        tmt_golongan=dt.date(2010, 3, 1),
    )
    RiwayatGolonganFactory(pegawai=pegawai, kode="III/a", tmt_golongan=dt.date(2010, 3, 1))
    db.session.commit()
    make_user(app, pegawai.nip, ROLE_PNS, pegawai=pegawai)
    return pegawai


def birth_date_group(tab):
    """The form group of the child's birth date: its label, input and messages."""
    return tab.locator("#section_form .form-group").filter(has=tab.locator("input#tanggal_lahir"))


def test_a_future_birth_date_is_refused_next_to_the_field(pns, page, browser_log, screenshot):
    login(page, pns.nip)
    assert "/login/" not in page.url, "the PNS could not log in with his NIP"

    # -- a child born in 2040 ------------------------------------------------------------------
    open_section(page, "Anak")
    page.get_by_label("Nama", exact=True).fill(CHILD)
    page.get_by_label("Tanggal Lahir", exact=True).fill(FUTURE_BIRTH)
    gender = page.get_by_label("Jenis Kelamin", exact=True)
    if gender.evaluate("el => el.tagName") == "SELECT":
        gender.select_option(value="P")
    else:
        gender.fill("P")
    submit(page, page.get_by_role("button", name="Simpan ke draf"))
    group = birth_date_group(page)
    assert "has-error" in group.get_attribute("class")
    assert "tidak boleh melewati tanggal hari ini." in group.inner_text()
    assert "Periksa kembali isian Anda." in flash_text(page)
    assert page.get_by_label("Nama", exact=True).input_value() == CHILD  # the form keeps his input
    path = screenshot(page, "rules_journey_01_future_birth_date")
    assert path.stat().st_size > 10_000
    assert db.session.scalars(select(Anak).where(Anak.pegawai_id == pns.id)).all() == []

    # -- corrected: saved in the draft ---------------------------------------------------------
    page.get_by_label("Tanggal Lahir", exact=True).fill(RIGHT_BIRTH)
    submit(page, page.get_by_role("button", name="Simpan ke draf"))
    assert "Usulan Anda tersimpan di draf." in flash_text(page)
    assert page.locator("#rows tbody tr", has_text=CHILD).count() == 1

    # -- his main data: identity read-only, golongan follows the history -----------------------
    open_section(page, "Data Utama")
    note = page.locator("#identity_note")
    assert "Perubahan NIP, NIK atau status diajukan lewat Helpdesk dengan dokumen pendukung." in note.inner_text()
    assert page.locator("#section_form [name=nik]").count() == 0
    assert page.locator("#section_form [name=golongan_id]").count() == 0
    assert "ikuti riwayat golongan" in page.locator('#section_form [data-locked="golongan_id"]').inner_text()
    screenshot(page, "rules_journey_02_identity_read_only")
    with page.expect_navigation():
        note.get_by_role("link").click()
    assert page.url.split("?")[0].endswith("/laporkan/")
    assert not browser_log.js_errors, browser_log.js_errors


def test_the_verifier_sees_a_golongan_jump_highlighted(pns, page, screenshot):
    """III/a on record, III/c proposed four years later: sent (a warning never blocks), and
    the Verifikator SKPD reads the warning next to the change, the golongan row highlighted."""
    usulan = workflow.open_draft(db.session, pns)
    iii_c = db.session.scalar(select(Golongan.id).where(Golongan.kode == "III/c"))
    workflow.propose(
        db.session, usulan, "riwayat_golongan", "add", {"golongan_id": iii_c, "tmt_golongan": dt.date(2014, 4, 1)}
    )
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    own_account = db.session.scalar(select(User).where(User.pegawai_id == pns.id))
    workflow.transition(db.session, own_account, usulan.id, workflow.KIRIM)  # not refused
    login(page, "vskpd")
    page.goto(f"/verifikasi/{usulan.id}")
    box = page.locator("#rule_findings")
    assert "Perhatian" in box.inner_text() and "lebih dari satu tingkat di atas" in box.inner_text()
    panel = page.locator(f"#item-{usulan.items[0].id}")
    assert "lebih dari satu tingkat di atas" in panel.locator(".pupns-findings").inner_text()
    assert panel.locator('tr[data-finding="warning"]').count() == 1
    path = screenshot(page, "rules_journey_03_verifier_warning")
    assert path.stat().st_size > 10_000
