"""Supporting documents on the rows of a draft ("Data Saya", DESIGN.md §3): uploaded with the
proposal, checked by content, shown on the draft, downloadable by the PNS himself and by the
verifiers of that submission only.

Every request runs in its own app context (as in production), so the database is re-read."""

import io
import re

import pytest
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import func, select

from app.extensions import db
from app.models import Dokumen
from app.models.family import Anak
from app.models.submission import Usulan
from app.roles import ROLE_PNS
from app.services import documents, workflow

from .helpers import csrf_token, kirim, make_user
from .factories import AnakFactory, DokumenFactory

pytestmark = pytest.mark.usefixtures("open_run")


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes():
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def usulan_of(pegawai_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalar(select(Usulan).where(Usulan.pegawai_id == pegawai_id))


def dokumen_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Dokumen))


def stored_files(app):
    root = documents.Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def propose(client, section, data, file=None, query=""):
    """POST the section form as a browser does (multipart, with the page's CSRF token)."""
    form = dict(data)
    form["csrf_token"] = csrf_token(client, f"/data-saya/{section}")
    if file is not None:
        content, name = file
        form["berkas"] = (io.BytesIO(content), name)
    return client.post(f"/data-saya/{section}/usul{query}", data=form, content_type="multipart/form-data")


def attachment_ok(response, content):
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_data_utama_change_carries_its_document(app, world, login):
    client = login("pns")
    png = png_bytes()
    page = client.get("/data-saya/data_utama").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="berkas"' in page

    # A PNG named .pdf is a PNG: accepted, and recorded (and offered) as one.
    response = propose(client, "data_utama", {"gelar_belakang": "S.Kom."}, (png, "ijazah.pdf"))
    assert response.status_code == 302
    item = usulan_of(world["peg_a"].id).items[0]
    assert item.dokumen is not None and item.dokumen.content_type == documents.PNG
    assert item.dokumen.pegawai_id == world["peg_a"].id

    page = client.get("/data-saya/data_utama").get_data(as_text=True)
    assert f"/data-saya/dokumen/{item.dokumen_id}" in page and "ijazah.pdf" in page
    response = client.get(f"/data-saya/dokumen/{item.dokumen_id}")
    attachment_ok(response, png)
    assert "filename=ijazah.png" in response.headers["Content-Disposition"]


def test_added_row_keeps_its_document_when_edited_without_a_new_file(app, world, login):
    client = login("pns")
    pdf = pdf_bytes()
    child = {
        "nama": "RARA SANTOSO",
        "tanggal_lahir": "2015-03-02",
        "jenis_kelamin": "P",
        "status_anak": "kandung",
        "status_hidup": "hidup",
    }
    assert propose(client, "anak", child, (pdf, "akta kelahiran.pdf")).status_code == 302
    item = usulan_of(world["peg_a"].id).items[0]
    first = item.dokumen_id
    assert first is not None

    page = client.get(f"/data-saya/anak?edit_item={item.id}").get_data(as_text=True)
    assert 'id="current_document"' in page and "akta kelahiran.pdf" in page
    response = propose(client, "anak", {**child, "nama": "RARA SANTOSA"}, query=f"?item_id={item.id}")
    assert response.status_code == 302
    item = usulan_of(world["peg_a"].id).items[0]
    assert item.dokumen_id == first and workflow.proposed_values(item)["nama"] == "RARA SANTOSA"

    # A new file replaces it.
    png = png_bytes()
    response = propose(client, "anak", child, (png, "akta.png"), query=f"?item_id={item.id}")
    assert response.status_code == 302
    item = usulan_of(world["peg_a"].id).items[0]
    assert item.dokumen_id not in (None, first)
    page = client.get("/data-saya/anak").get_data(as_text=True)
    row = re.search(rf'<tr class="warning" data-row="" data-item="{item.id}">.*?</tr>', page, re.S).group(0)
    assert f"/data-saya/dokumen/{item.dokumen_id}" in row


def test_changed_official_row_carries_a_document(app, world, login):
    child = AnakFactory(pegawai=world["peg_a"], nama="ANAK PERTAMA")
    db.session.commit()
    client = login("pns")
    response = propose(
        client, "anak", {"nama": "ANAK PERTAMA SEKALI"}, (pdf_bytes(), "kk.pdf"), query=f"?target_id={child.id}"
    )
    assert response.status_code == 302
    item = usulan_of(world["peg_a"].id).items[0]
    assert item.target_id == child.id and item.dokumen is not None
    assert db.session.get(Anak, child.id).dokumen_id is None  # official row untouched until applied


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"Ini bukan dokumen, hanya teks.\n" * 10, "sk.pdf", "PDF, JPG, atau PNG"),
        (b"%PDF-1.4 rusak", "sk.pdf", "PDF, JPG, atau PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "besar.png", "melebihi 2 MB"),
    ],
)
def test_bad_upload_is_refused_next_to_the_field(app, world, login, content, name, message):
    client = login("pns")
    before = dokumen_count()
    response = propose(client, "data_utama", {"gelar_belakang": "S.Kom."}, (content, name))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    group = re.search(r'<div class="form-group has-error" id="berkas_group">.*?</div>\s*</div>', page, re.S)
    assert group and message in group.group(0)
    assert 'value="S.Kom."' in page  # what he typed is still there
    assert usulan_of(world["peg_a"].id).items == []
    assert dokumen_count() == before and stored_files(app) == []


def test_refused_proposal_leaves_no_file_behind(app, world, login):
    client = login("pns")
    # The form accepts the text; the service refuses it as a number: nothing stays stored.
    response = propose(
        client, "riwayat_skp", {"tahun": "2015", "nilai_skp": "sembilan puluh"}, (png_bytes(), "skp.png")
    )
    assert response.status_code == 400
    assert "has-error" in response.get_data(as_text=True)
    assert dokumen_count() == 0 and stored_files(app) == []


@pytest.fixture
def sent_with_document(app, world, login):
    """peg_a's submission, sent with a PNG behind a data-utama change and an official child
    row (with a document on record) proposed for change; ids of the usulan and documents."""
    record_doc = DokumenFactory(pegawai_id=world["peg_a"].id, stored_name="a" * 32, original_name="akta-lama.pdf")
    documents.path_for(record_doc.stored_name).parent.mkdir(parents=True, exist_ok=True)
    documents.path_for(record_doc.stored_name).write_bytes(b"%PDF")
    child = AnakFactory(pegawai=world["peg_a"], nama="ANAK PERTAMA", dokumen_id=record_doc.id)
    db.session.commit()
    png = png_bytes()
    client = login("pns")
    assert propose(client, "data_utama", {"no_hp": "0812 3456 7890"}, (png, "sk.png")).status_code == 302
    assert propose(client, "anak", {"nama": "ANAK PERTAMA SEKALI"}, query=f"?target_id={child.id}").status_code == 302
    usulan = usulan_of(world["peg_a"].id)
    proposed = next(i.dokumen_id for i in usulan.items if i.section == "data_utama")
    kirim(world, usulan.id)
    return {"usulan": usulan.id, "proposed": proposed, "record": record_doc.id, "png": png, "client": client}


def test_verifier_in_scope_downloads_the_documents_of_the_items(world, login, sent_with_document):
    s = sent_with_document
    for username in ("vskpd", "helpdesk"):
        client = login(username)
        page = client.get(f"/verifikasi/{s['usulan']}").get_data(as_text=True)
        assert f"/verifikasi/{s['usulan']}/dokumen/{s['proposed']}" in page
        assert f"/verifikasi/{s['usulan']}/dokumen/{s['record']}" in page
        attachment_ok(client.get(f"/verifikasi/{s['usulan']}/dokumen/{s['proposed']}"), s["png"])
        attachment_ok(client.get(f"/verifikasi/{s['usulan']}/dokumen/{s['record']}"), b"%PDF")


def test_documents_are_refused_to_everyone_else(app, world, login, sent_with_document):
    s = sent_with_document
    own = f"/data-saya/dokumen/{s['proposed']}"
    scoped = f"/verifikasi/{s['usulan']}/dokumen/{s['proposed']}"

    make_user(app, "pns_b", ROLE_PNS, pegawai=world["peg_b"])
    other_pns = login("pns_b")
    for url in (own, scoped):
        response = other_pns.get(url)
        assert response.status_code in (302, 403, 404) and response.data != s["png"]

    for username in ("vinstansi_b", "monitor"):  # out of scope / not a verifier
        client = login(username)
        for url in (own, scoped):
            response = client.get(url)
            assert response.status_code in (302, 403, 404), (username, url)
            assert response.data != s["png"]

    # A document of another submission, asked through this one: not on this page.
    foreign = DokumenFactory(pegawai_id=world["peg_sub"].id, stored_name="b" * 32, original_name="x.pdf")
    db.session.commit()
    response = login("vskpd").get(f"/verifikasi/{s['usulan']}/dokumen/{foreign.id}")
    assert response.status_code == 404
    # The PNS himself: only through "Data Saya", not through the verification route.
    assert s["client"].get(scoped).status_code in (302, 403)
    attachment_ok(s["client"].get(own), s["png"])
