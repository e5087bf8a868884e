"""Who may open a submission on the verification screens (security issue 13, finding 8): staff
see one only once it has reached their level — Verifikator SKPD from di SKPD on, Verifikator
Instansi every sent one (di SKPD read-only), Verifikator BKN only what reached BKN, Helpdesk
and Admin every sent one — and never a draft, whether never sent or returned. The page, its
PDF summary and its documents follow the one rule (services.scope.visible_usulan). NIKs of
the PNS and his family show masked to roles that do not keep master data (views.privacy).

Every request runs in its own app context (as in production), so the database is re-read."""

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Pasangan
from app.models.submission import Usulan
from app.roles import (
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from app.services import documents, workflow
from app.services.rules import make_nik
from app.views.privacy import mask_nik

from .factories import DokumenFactory
from .test_summary_pdf import pdf_text

pytestmark = pytest.mark.usefixtures("open_run")

STAFF = ("vskpd", "vinstansi", "vbkn", "helpdesk", "admin")
SENT_TO_ALL_BUT_BKN = {"vskpd", "vinstansi", "helpdesk", "admin"}
# Who opens the submission, by how far it travelled.
VISIBLE = {
    "draft": set(),
    "returned": set(),
    "di_skpd": SENT_TO_ALL_BUT_BKN,
    "di_instansi": SENT_TO_ALL_BUT_BKN,
    "selesai": SENT_TO_ALL_BUT_BKN,  # finished at Instansi: never reached BKN
    "di_bkn": set(STAFF),
    "selesai_bkn": set(STAFF),
}
CHILD_BORN = dt.date(2015, 3, 2)
WIFE_BORN = dt.date(1990, 7, 12)


def _act(world, role, pk, action, reason=None):
    workflow.transition(db.session, world["users"][role], pk, action, reason)


def make_submission(world, stage):
    """peg_a's submission at `stage` (a VISIBLE key): his wife's new NIK (with a document) and
    a child with a NIK; a new name too when it must reach BKN. Returns (usulan id, dokumen id,
    NIKs). (The PNS's own NIK is not his to propose: a Helpdesk ticket changes it.)"""
    peg = world["peg_a"]
    wife = Pasangan(pegawai_id=peg.id, nama="SRI RAHAYU", tanggal_lahir=WIFE_BORN, status_hidup="hidup")
    wife.nik = make_nik("327301", WIFE_BORN, "P", 11)
    db.session.add(wife)
    niks = {
        "official": wife.nik,
        "proposed": make_nik("327301", WIFE_BORN, "P", 4321),
        "child": make_nik("327301", CHILD_BORN, "P", 7),
    }
    dokumen = DokumenFactory(pegawai_id=peg.id, stored_name="c" * 32, original_name="ktp-baru.pdf")
    db.session.commit()
    documents.path_for(dokumen.stored_name).parent.mkdir(parents=True, exist_ok=True)
    documents.path_for(dokumen.stored_name).write_bytes(b"%PDF")
    usulan = workflow.open_draft(db.session, peg)
    workflow.propose(
        db.session, usulan, "pasangan", "change", {"nik": niks["proposed"]}, wife.id, dokumen_id=dokumen.id
    )
    if stage in ("di_bkn", "selesai_bkn"):
        workflow.propose(db.session, usulan, "data_utama", "change", {"nama": "BUDI SANTOSA"})
    workflow.propose(
        db.session,
        usulan,
        "anak",
        "add",
        {
            "nama": "RARA SANTOSO",
            "nik": niks["child"],
            "tanggal_lahir": CHILD_BORN.isoformat(),
            "jenis_kelamin": "P",
            "status_anak": "kandung",
            "status_hidup": "hidup",
        },
    )
    pk = usulan.id
    if stage != "draft":
        for section in workflow.SECTIONS:
            workflow.mark_reviewed(db.session, db.session.get(Usulan, pk), section)
        _act(world, ROLE_PNS, pk, workflow.KIRIM)
    if stage == "returned":
        _act(world, ROLE_VERIFIKATOR_SKPD, pk, workflow.KEMBALIKAN, "Scan KTP buram")
    if stage in ("di_instansi", "selesai", "di_bkn", "selesai_bkn"):
        _act(world, ROLE_VERIFIKATOR_SKPD, pk, workflow.VERIFIKASI)
    if stage in ("selesai", "di_bkn", "selesai_bkn"):
        _act(world, ROLE_VERIFIKATOR_INSTANSI, pk, workflow.VERIFIKASI)
    if stage == "selesai_bkn":
        _act(world, ROLE_VERIFIKATOR_BKN, pk, workflow.VERIFIKASI)
    db.session.expire_all()
    expected = {"returned": Usulan.DRAFT, "selesai_bkn": Usulan.SELESAI}.get(stage, stage)
    assert db.session.get(Usulan, pk).status == expected
    return pk, dokumen.id, niks


@pytest.mark.parametrize("stage", list(VISIBLE))
def test_staff_open_a_submission_only_at_or_past_their_level(world, login, stage):
    pk, dokumen_id, _ = make_submission(world, stage)
    for username in (*STAFF, "vinstansi_b"):
        client = login(username)
        pages = {
            "show": client.get(f"/verifikasi/{pk}"),
            "ringkasan": client.get(f"/verifikasi/{pk}/ringkasan"),
            "dokumen": client.get(f"/verifikasi/{pk}/dokumen/{dokumen_id}"),
        }
        for name, response in pages.items():
            if username in VISIBLE[stage]:
                assert response.status_code == 200, (stage, username, name)
            else:
                assert response.status_code in (403, 404), (stage, username, name)
                assert b"RARA SANTOSO" not in response.data and response.data != b"%PDF"


def test_the_instansi_reads_what_waits_at_skpd_without_acting(world, login):
    pk, _, _ = make_submission(world, "di_skpd")
    page = login("vinstansi").get(f"/verifikasi/{pk}").get_data(as_text=True)
    assert "RARA SANTOSO" in page
    assert f'action="/verifikasi/{pk}/act"' not in page  # no Verifikasi / Kembalikan for him here


@pytest.mark.parametrize("stage", ["di_bkn", "selesai_bkn"])
def test_nik_is_masked_for_roles_that_do_not_keep_master_data(world, login, stage):
    """On the page (diff of his wife's NIK and of his child's row) and in the PDF summary; in
    full for the Verifikator Instansi and Admin, who keep the master data."""
    pk, _, niks = make_submission(world, stage)
    for username in STAFF:
        client = login(username)
        page = client.get(f"/verifikasi/{pk}").get_data(as_text=True)
        summary = pdf_text(client.get(f"/verifikasi/{pk}/ringkasan"))
        for nik in niks.values():
            for where, body in (("page", page), ("pdf", summary)):
                if username in ("vinstansi", "admin"):
                    assert nik in body, (username, where, nik)
                else:
                    assert nik not in body, (username, where, nik)
                    assert mask_nik(nik) in body, (username, where, nik)


def test_nik_is_masked_in_a_records_change_history(world, login):
    """After his wife's NIK changed through verification, the record's "Riwayat Perubahan"
    shows old and new NIK masked to the SKPD and BKN verifiers, in full to the Verifikator
    Instansi."""
    pk, _, niks = make_submission(world, "selesai_bkn")
    db.session.expire_all()
    assert db.session.scalar(select(Pasangan.nik).where(Pasangan.pegawai_id == world["peg_a"].id)) == niks["proposed"]
    for username in ("vskpd", "vbkn", "vinstansi"):
        page = login(username).get(f"/pegawaiview/show/{world['peg_a'].id}").get_data(as_text=True)
        assert 'id="record_history"' in page
        for nik in (niks["official"], niks["proposed"]):
            if username == "vinstansi":
                assert nik in page, (username, nik)
            else:
                assert nik not in page and mask_nik(nik) in page, (username, nik)
