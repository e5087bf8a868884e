""" "Cetak Ringkasan Usulan": the PDF summary of a sent submission, for the PNS himself and the
verifiers in scope; refused before Kirim and to anyone else; user text prints literally."""

import io

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models import Pegawai
from app.models.family import Anak
from app.roles import ROLE_PNS, ROLE_VERIFIKATOR_SKPD
from app.services import workflow

from .helpers import kirim, make_user
from .factories import AnakFactory

pytestmark = pytest.mark.usefixtures("open_run")

XSS = '<img src="/etc/passwd" onerror=alert(1)><b>Jl. Malioboro</b>'


def pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    # Extracted text wraps long cells: compare without line breaks.
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def draft(world):
    """peg_a's draft: a new phone number and address (with markup), one child removed, one added."""
    peg = world["peg_a"]
    removed = AnakFactory(pegawai=peg, nama="ANAK DIHAPUS")
    db.session.commit()
    usulan = workflow.open_draft(db.session, peg)
    workflow.propose(db.session, usulan, "data_utama", "change", {"no_hp": "0812 3456 7890", "alamat": XSS})
    workflow.propose(db.session, usulan, "anak", "remove", {}, target_id=removed.id)
    workflow.propose(
        db.session,
        usulan,
        "anak",
        "add",
        {
            "nama": "RARA <i>SANTOSO</i>",
            "tanggal_lahir": "2015-03-02",
            "jenis_kelamin": "P",
            "status_anak": "kandung",
            "status_hidup": "hidup",
        },
    )
    return usulan.id


def test_refused_before_kirim(world, login, draft):
    pns = login("pns")
    assert 'id="print_summary"' not in pns.get("/data-saya/").get_data(as_text=True)
    assert pns.get(f"/data-saya/ringkasan/{draft}").status_code == 404
    vskpd = login("vskpd")
    assert 'id="print_summary"' not in vskpd.get(f"/verifikasi/{draft}").get_data(as_text=True)
    assert vskpd.get(f"/verifikasi/{draft}/ringkasan").status_code == 404


def test_pns_prints_the_summary_of_his_sent_submission(world, login, draft):
    kirim(world, draft)
    old_hp = db.session.get(Pegawai, world["peg_a"].id).no_hp
    pns = login("pns")
    page = pns.get("/data-saya/").get_data(as_text=True)
    assert f'href="/data-saya/ringkasan/{draft}"' in page
    response = pns.get(f"/data-saya/ringkasan/{draft}")
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response)
    peg = world["peg_a"]
    for expected in (
        peg.nip,
        "BUDI SANTOSO",
        "Pemerintah Kota Yogyakarta",
        "Dinas Pendidikan",
        "0812 3456 7890",
        "ANAK DIHAPUS",
        "Di SKPD",
        str(draft),
    ):
        assert expected in text, expected
    if old_hp:
        assert old_hp in text  # official value next to the proposed one
    # Markup typed by the PNS is printed as the text he typed.
    assert XSS in text
    assert "RARA <i>SANTOSO</i>" in text
    # Indonesian labels and date.
    assert "Ringkasan Usulan" in text and "Data Utama" in text


def test_verifier_in_scope_prints_it_others_are_refused(app, world, login, draft):
    kirim(world, draft)
    for username in ("vskpd", "vinstansi", "helpdesk"):
        client = login(username)
        if username == "vskpd":
            page = client.get(f"/verifikasi/{draft}").get_data(as_text=True)
            assert f'href="/verifikasi/{draft}/ringkasan"' in page
        assert world["peg_a"].nip in pdf_text(client.get(f"/verifikasi/{draft}/ringkasan"))

    make_user(app, "pns_b", ROLE_PNS, pegawai=world["peg_b"])
    refused = [
        ("pns_b", f"/data-saya/ringkasan/{draft}"),  # not his submission
        ("pns_b", f"/verifikasi/{draft}/ringkasan"),
        ("pns", f"/verifikasi/{draft}/ringkasan"),  # his own, but not through the verifier's page
        ("vinstansi_b", f"/verifikasi/{draft}/ringkasan"),  # out of scope
        ("monitor", f"/verifikasi/{draft}/ringkasan"),  # not a verifier
        ("vskpd", f"/data-saya/ringkasan/{draft}"),  # staff have no "Data Saya"
    ]
    for username, url in refused:
        response = login(username).get(url)
        assert response.status_code in (302, 403, 404), (username, url, response.status_code)
        assert response.headers.get("Content-Type") != "application/pdf", (username, url)


def test_summary_of_a_finished_submission_shows_what_it_changed(world, login, draft):
    kirim(world, draft)
    before = db.session.get(Pegawai, world["peg_a"].id).no_hp
    users = world["users"]
    make_user_done = users[ROLE_VERIFIKATOR_SKPD]
    workflow.transition(db.session, make_user_done, draft, workflow.VERIFIKASI)
    from app.roles import ROLE_VERIFIKATOR_INSTANSI

    workflow.transition(db.session, users[ROLE_VERIFIKATOR_INSTANSI], draft, workflow.VERIFIKASI)
    db.session.expire_all()
    assert db.session.get(Pegawai, world["peg_a"].id).no_hp == "0812 3456 7890"
    assert db.session.query(Anak).filter_by(nama="ANAK DIHAPUS").first() is None
    text = pdf_text(login("pns").get(f"/data-saya/ringkasan/{draft}"))
    assert "Selesai" in text and "ANAK DIHAPUS" in text
    if before:
        assert before in text  # still the value it replaced, not today's
