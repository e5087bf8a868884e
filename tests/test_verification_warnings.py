"""The verifier sees the rules' warnings (issue 14): implausible but possible values — here a
golongan that rises two steps at once — do not stop Kirim, and every verifier on the way
(SKPD, Instansi, BKN) sees them highlighted next to the change, and in the summary PDF under
"Perhatian". An error that slipped into a submission shows in red.

Every request runs in its own app context (as in production), so the database is re-read."""

import datetime as dt
import html
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Golongan, Pegawai
from app.models.submission import Usulan, UsulanItem
from app.roles import ROLE_PNS, ROLE_VERIFIKATOR_INSTANSI, ROLE_VERIFIKATOR_SKPD
from app.services import workflow
from app.services.rules import add_years, make_nik, make_nip

from .factories import RiwayatGolonganFactory
from .test_summary_pdf import pdf_text

pytestmark = pytest.mark.usefixtures("open_run")

JUMP_MESSAGE = "lebih dari satu tingkat di atas"


def golongan_id(kode):
    return db.session.scalar(select(Golongan.id).where(Golongan.kode == kode))


def sent_with_jump(world) -> int:
    """peg_a (III/a on record) proposes III/c four years later, reviews everything and sends."""
    peg = world["peg_a"]
    RiwayatGolonganFactory(pegawai=peg, kode="III/a", tmt_golongan=peg.tmt_cpns)
    db.session.commit()
    usulan = workflow.open_draft(db.session, peg)
    tmt = peg.tmt_cpns + dt.timedelta(days=4 * 365)
    workflow.propose(
        db.session, usulan, "riwayat_golongan", "add", {"golongan_id": golongan_id("III/c"), "tmt_golongan": tmt}
    )
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)  # not refused
    return usulan.id


def findings_on_page(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-rule="([^"]+)" data-severity="([^"]+)"', page)


def item_panel(page: str, item_id: int) -> str:
    """The panel of one proposed change on the verification page, up to the next one."""
    start = page.index(f'id="item-{item_id}"')
    end = page.find('<div class="panel panel-', start)
    return page[start : end if end != -1 else None]


def test_a_golongan_jump_reaches_every_verifier_as_a_warning(world, login):
    pk = sent_with_jump(world)
    usulan = db.session.get(Usulan, pk)
    assert usulan.status == Usulan.DI_SKPD and usulan.needs_bkn
    [item] = usulan.items
    for username, role in (
        ("vskpd", ROLE_VERIFIKATOR_SKPD),
        ("vinstansi", ROLE_VERIFIKATOR_INSTANSI),
        ("vbkn", None),
    ):
        client = login(username)
        page = client.get(f"/verifikasi/{pk}").get_data(as_text=True)
        text = html.unescape(page)
        assert 'id="rule_findings"' in page and "Perhatian" in text, username
        assert ("golongan.jump", "warning") in findings_on_page(page), username
        panel = html.unescape(item_panel(page, item.id))
        assert JUMP_MESSAGE in panel and "III/c" in panel, username  # next to the change itself
        assert 'data-finding="warning"' in panel  # the golongan row of the diff is highlighted
        assert 'data-severity="error"' not in page
        summary = pdf_text(client.get(f"/verifikasi/{pk}/ringkasan"))
        assert "Perhatian" in summary and JUMP_MESSAGE in summary, username
        if role is not None:  # the warning never blocks: the submission moves on
            workflow.transition(db.session, world["users"][role], pk, workflow.VERIFIKASI)
    assert db.session.get(Usulan, pk).status == Usulan.DI_BKN


def born_on(pegawai_id, born: dt.date) -> Pegawai:
    """The PNS's record made consistent with a birth date (NIP and NIK carry it)."""
    peg = db.session.get(Pegawai, pegawai_id)
    peg.tanggal_lahir, peg.tmt_cpns = born, add_years(born, 24).replace(day=1)
    peg.tmt_pns = add_years(peg.tmt_cpns, 1)
    peg.nip = make_nip(born, peg.tmt_cpns, peg.jenis_kelamin, 7)
    peg.nik = make_nik("327301", born, peg.jenis_kelamin, 77)
    db.session.commit()
    return peg


def send_address_change(world, peg) -> int:
    usulan = workflow.open_draft(db.session, peg)
    workflow.propose(db.session, usulan, "data_utama", "change", {"alamat": "Jl. Malioboro 1"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    return usulan.id


def test_a_submission_without_findings_shows_no_attention_box(world, login):
    pk = send_address_change(world, born_on(world["peg_a"].id, dt.date(1990, 6, 15)))
    client = login("vskpd")
    page = client.get(f"/verifikasi/{pk}").get_data(as_text=True)
    assert 'id="rule_findings"' not in page and findings_on_page(page) == []
    assert "Perhatian" not in pdf_text(client.get(f"/verifikasi/{pk}/ringkasan"))


def test_a_pns_past_retirement_age_still_active_is_a_warning(world, login):
    """Born in 1960: past the BUP of 58 and still active. His address change is sent (not
    refused) and the verifier reads the warning next to the main data."""
    pk = send_address_change(world, born_on(world["peg_a"].id, dt.date(1960, 6, 15)))
    [item] = db.session.get(Usulan, pk).items
    page = login("vskpd").get(f"/verifikasi/{pk}").get_data(as_text=True)
    assert ("pensiun.past_bup", "warning") in findings_on_page(page)
    assert "masih aktif" in html.unescape(item_panel(page, item.id))


def test_an_error_that_slipped_in_shows_in_red(world, login):
    """A child's birth date in the future stored before the on-save check existed (or written
    around it): the verifier sees it in red next to the row."""
    pk = sent_with_jump(world)
    usulan = db.session.get(Usulan, pk)
    usulan.items.append(
        UsulanItem(
            section="anak",
            operation="add",
            values_json=json.dumps({"nama": "RARA", "tanggal_lahir": "2040-01-01", "status_anak": "kandung"}),
        )
    )
    db.session.commit()
    child_item = max(i.id for i in db.session.get(Usulan, pk).items)
    page = login("vskpd").get(f"/verifikasi/{pk}").get_data(as_text=True)
    assert ("date.future", "error") in findings_on_page(page)
    assert 'class="alert alert-danger" id="rule_findings"' in page
    panel = html.unescape(item_panel(page, child_item))
    assert "tidak boleh melewati tanggal hari ini." in panel and 'data-finding="error"' in panel
