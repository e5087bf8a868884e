"""Helpdesk tickets "Laporkan data tidak sesuai" (DESIGN.md §3): the public form, its proof,
uploads checked by content, routing, the scoped staff inbox and resolving.

Every request runs in its own app context (as in production), so the database is re-read
after each request (`fresh`, `tickets`).
"""

import html
import io
import re
from pathlib import Path

import pytest
from flask_babel import gettext
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from app.extensions import db
from app.models import Pegawai
from app.models.audit import AuditLog
from app.models.registration import Registrasi
from app.models.ticket import Tiket
from app.roles import ROLE_HELPDESK
from app.services import documents, registration
from app.services import ticket as ticket_service

from .helpers import PASSWORD, FreshContextClient, csrf_token, fresh, make_user, register_pns
from .test_translations import compiled_catalogue, id_catalog  # noqa: F401 - fixtures

NOMOR = re.compile(r"T[0-9A-HJKMNP-TV-Z]{10}")
UNKNOWN_NIP = "198001012005011999"  # well-formed, not in the database


def tiny_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def tiny_png(color="red", size=(2, 2)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def message(app, msgid) -> str:
    """A message (msgid or lazy string) as the user reads it: in Indonesian by default."""
    with app.test_request_context():
        return gettext(msgid) if isinstance(msgid, str) else str(msgid)


def tickets():
    db.session.rollback()
    return db.session.scalars(select(Tiket).order_by(Tiket.id)).all()


def stored_files():
    root = documents.upload_root()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def ticket_data(**changes):
    data = {
        "kategori": Tiket.KATEGORI_BEDA_NAMA,
        "nip": "",
        "nama": "BUDI SANTOSO",
        "detail": "Nama saya di database tertulis BUDI SANTOSA.",
        "nomor_sk": "823.3/45/BKD/2014",
        "tanggal_sk": "2014-03-01",
        "email": "budi@example.id",
    }
    data.update(changes)
    return data


def file_ticket(client, data, upload=None, follow=False, with_token=True):
    """POST the public form as a browser does; `upload` is (bytes, filename) or None."""
    form = dict(data)
    if with_token:
        form["csrf_token"] = csrf_token(client, "/laporkan/")
    if upload is not None:
        form["berkas"] = (io.BytesIO(upload[0]), upload[1])
    return client.post("/laporkan/", data=form, content_type="multipart/form-data", follow_redirects=follow)


def filed(client, world, upload=None, **changes):
    """File a ticket about peg_a (or as changed); return the Tiket row."""
    before = {t.id for t in tickets()}
    data = ticket_data(nip=world["peg_a"].nip, **changes) if "nip" not in changes else ticket_data(**changes)
    response = file_ticket(client, data, upload)
    assert response.status_code == 302, page_text(response)[:2000]
    new = [t for t in tickets() if t.id not in before]
    assert len(new) == 1
    return new[0]


# --------------------------------------------------------------------------------------------
# The public form
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_ticket_with_a_scan_gets_a_number_and_a_printable_proof(kind, app, world, login, compiled_catalogue):  # noqa: F811
    data = tiny_pdf() if kind == "pdf" else tiny_png()
    client = login()
    peg_a = world["peg_a"]
    response = file_ticket(client, ticket_data(nip=peg_a.nip), (data, f"sk-pangkat.{kind}"), follow=True)
    assert response.status_code == 200
    (tiket,) = tickets()
    assert NOMOR.fullmatch(tiket.nomor)
    page = page_text(response)
    assert tiket.nomor in page and "Beda nama" in page
    # Known NIP: routed to the inbox of his instansi.
    assert tiket.instansi_id == world["inst_a"].id and tiket.pegawai_id == peg_a.id
    assert tiket.lampiran_content_type == ("application/pdf" if kind == "pdf" else "image/png")
    (path,) = stored_files()
    assert path.read_bytes() == data and path.name == tiket.lampiran_stored_name
    assert "sk-pangkat" not in str(path)  # stored under a generated name
    assert Path(app.static_folder).resolve() not in path.resolve().parents  # not web-served

    proof = client.get(f"/laporkan/cetak/{tiket.nomor}")
    assert proof.status_code == 200 and proof.mimetype == "application/pdf"
    text = pdf_text(proof.data)
    assert "Tanda Bukti Permohonan Bantuan" in text
    for expected in (
        tiket.nomor,
        "Beda nama",
        "BUDI SANTOSO",
        peg_a.nip,
        "823.3/45/BKD/2014",
        "Pemerintah Kota Yogyakarta",
    ):
        assert expected in text, expected

    # Another browser (no ticket filed in its session) gets neither the page nor the proof.
    stranger = login()
    assert stranger.get(f"/laporkan/cetak/{tiket.nomor}").status_code == 404
    assert stranger.get(f"/laporkan/selesai/{tiket.nomor}").status_code == 404
    # The Verifikator of that instansi downloads the scan exactly as sent.
    staff = login("vinstansi")
    download = staff.get(f"/tiket/{tiket.id}/lampiran")
    assert download.status_code == 200 and download.data == data
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert staff.get(f"/laporkan/cetak/{tiket.nomor}").status_code == 200
    audit = db.session.scalars(select(AuditLog).where(AuditLog.event == "ticket.created")).one()
    assert audit.target_id == str(tiket.id)


def test_numbers_are_random_and_the_landing_page_links_to_the_form(app, world, login):
    client = login()
    first = filed(client, world)
    second = filed(client, world)
    assert first.nomor != second.nomor
    assert "/laporkan/" in client.get("/").get_data(as_text=True)


def test_upload_over_2_mb_is_refused_with_a_message_and_nothing_is_stored(app, world, login):
    client = login()
    big = tiny_png() + b"\0" * (2 * 1024 * 1024)
    response = file_ticket(client, ticket_data(nip=world["peg_a"].nip), (big, "sk.png"))
    assert response.status_code == 200
    assert message(app, "The document is larger than 2 MB.") in page_text(response)
    # What was typed is kept.
    assert "Nama saya di database tertulis BUDI SANTOSA." in page_text(response)
    assert tickets() == [] and stored_files() == []


@pytest.mark.parametrize(
    "data,filename",
    [
        (b"Ini hanya teks, bukan PDF.\n" * 20, "sk.pdf"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "sk.html"),
        (b"<html><script>alert(1)</script></html>", "sk.pdf"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>', "sk.svg"),
        (b"%PDF-1.4\n<script>alert(1)</script>\n%%EOF\n", "sk.pdf"),
    ],
    ids=["text-as-pdf", "html", "html-as-pdf", "svg", "pdf-header-only"],
)
def test_non_documents_are_refused_whatever_their_name(data, filename, app, world, login):
    client = login()
    response = file_ticket(client, ticket_data(nip=world["peg_a"].nip), (data, filename))
    assert response.status_code == 200
    assert message(app, "The document must be a PDF, JPG or PNG file.") in page_text(response)
    assert tickets() == [] and stored_files() == []


def test_png_named_pdf_is_kept_as_the_png_it_is(app, world, login):
    """Decision: the content decides. A real PNG called "scan.pdf" is accepted, recorded as
    image/png and offered for download as "scan.png" (never served as a PDF)."""
    data = tiny_png("blue")
    client = login()
    tiket = filed(client, world, upload=(data, "scan.pdf"))
    assert tiket.lampiran_content_type == "image/png"
    assert tiket.lampiran_original_name == "scan.pdf"
    response = login("vinstansi").get(f"/tiket/{tiket.id}/lampiran")
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == "image/png"
    assert "filename=scan.png" in response.headers["Content-Disposition"]


def test_a_failed_save_leaves_no_file_behind(app, world, login, monkeypatch):
    """If the ticket cannot be stored, its already-written scan is removed again."""

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ticket_service.audit, "record", broken)
    client = login()
    monkeypatch.setitem(client.application.config, "PROPAGATE_EXCEPTIONS", False)
    response = file_ticket(client, ticket_data(nip=world["peg_a"].nip), (tiny_pdf(), "sk.pdf"))
    assert response.status_code == 500
    assert tickets() == [] and stored_files() == []


@pytest.mark.parametrize(
    "original,content_type,offered",
    [
        ("scan.pdf", "image/png", "scan.png"),
        ("foto.jpeg", "image/jpeg", "foto.jpeg"),
        ("SK.PDF", "application/pdf", "SK.PDF"),
        ("lampiran", "image/png", "lampiran.png"),
        ("C:\\fakepath\\sk.jpg", "image/jpeg", "sk.jpg"),
    ],
)
def test_download_name_follows_the_real_content(original, content_type, offered):
    assert documents.download_name(original, content_type) == offered


def test_ticket_without_attachment_is_fine(app, world, login):
    tiket = filed(login(), world)
    assert tiket.lampiran_stored_name is None and stored_files() == []
    page = page_text(login("vinstansi").get(f"/tiket/{tiket.id}"))
    assert tiket.nomor in page
    assert login("vinstansi").get(f"/tiket/{tiket.id}/lampiran").status_code == 404


@pytest.mark.parametrize(
    "nip,kategori,ok",
    [
        ("", Tiket.KATEGORI_BEDA_NAMA, False),
        ("12345", Tiket.KATEGORI_TIDAK_ADA, False),
        ("１９８００１０１２００５０１１９９９", Tiket.KATEGORI_TIDAK_ADA, False),  # full-width digits
        ("", Tiket.KATEGORI_TIDAK_ADA, True),
        (UNKNOWN_NIP, Tiket.KATEGORI_TIDAK_ADA, True),
    ],
    ids=["missing", "short", "fullwidth", "empty-allowed-for-tidak-ada", "unknown-nip"],
)
def test_nip_rule(nip, kategori, ok, app, world, login):
    client = login()
    response = file_ticket(client, ticket_data(nip=nip, kategori=kategori))
    if ok:
        assert response.status_code == 302
        (tiket,) = tickets()
        # Unknown or no NIP: the national Helpdesk answers.
        assert tiket.instansi_id is None and tiket.pegawai_id is None
        assert tiket.nip == (nip or None)
    else:
        assert response.status_code == 200 and tickets() == []
        expected = ticket_service.nip_problem(kategori, nip)
        assert message(app, expected) in page_text(response)


def test_bad_email_and_missing_fields_are_refused(app, world, login):
    client = login()
    response = file_ticket(client, ticket_data(nip=world["peg_a"].nip, email="bukan-email", nama=""))
    assert response.status_code == 200 and tickets() == []
    assert message(app, "Enter a valid email address.") in page_text(response)
    assert message(app, "This field is required.") in page_text(response)


def test_form_is_prefilled_from_the_link_and_for_a_logged_in_pns(app, world, login):
    peg_b = world["peg_b"]
    page = page_text(login().get(f"/laporkan/?nip={peg_b.nip}&kategori=beda_instansi"))
    assert f'value="{peg_b.nip}"' in page
    assert re.search(r'<option selected value="beda_instansi">|<option value="beda_instansi" selected', page)
    # Junk in the link is ignored, not echoed.
    page = page_text(login().get('/laporkan/?nip="><b>x&kategori=zzz'))
    assert "<b>x" not in page

    pns = login("pns")  # linked to peg_a
    page = page_text(pns.get("/laporkan/"))
    assert f'value="{world["peg_a"].nip}"' in page and 'value="BUDI SANTOSO"' in page
    # Filed while logged in: the reporter is recorded.
    tiket = filed(pns, world)
    assert tiket.reporter_id == world["users"]["PNS"].id


def test_xss_in_name_and_details_is_escaped_in_html_and_literal_in_the_pdf(app, world, login):
    nama = '<script>alert("nama")</script>'
    detail = "<img src=x onerror=alert(1)> & <b>tebal</b>"
    client = login()
    tiket = filed(client, world, nama=nama, detail=detail)
    done = client.get(f"/laporkan/selesai/{tiket.nomor}").get_data(as_text=True)
    assert nama not in done and "&lt;script&gt;" in done

    staff = login("vinstansi")
    for url in ("/tiket/", f"/tiket/{tiket.id}"):
        body = staff.get(url).get_data(as_text=True)
        assert nama not in body and "<img src=x" not in body and "<b>tebal" not in body, url
        assert "&lt;script&gt;alert(" in body, url
    assert "&lt;img src=x onerror=alert(1)&gt;" in staff.get(f"/tiket/{tiket.id}").get_data(as_text=True)

    text = pdf_text(client.get(f"/laporkan/cetak/{tiket.nomor}").data)
    assert nama in text
    assert "<img src=x onerror=alert(1)> & <b>tebal</b>" in text


def test_missing_csrf_token_is_refused(app, world, login):
    client = login()
    response = file_ticket(client, ticket_data(nip=world["peg_a"].nip), with_token=False)
    assert response.status_code == 400 and tickets() == []

    tiket = filed(client, world)
    staff = login("vinstansi")
    assert staff.post(f"/tiket/{tiket.id}/selesai", data={"resolution": "x"}).status_code == 400
    assert staff.post(f"/tiket/{tiket.id}/ambil").status_code == 400
    assert fresh(Tiket, tiket.id).status == Tiket.STATUS_BARU


def test_public_form_is_rate_limited(app_factory):
    application = app_factory(RATELIMIT_ENABLED=True)
    application.test_client_class = FreshContextClient
    client = application.test_client()
    # An invalid report (no name) still counts: the limit is on attempts.
    data = ticket_data(nip=UNKNOWN_NIP, kategori=Tiket.KATEGORI_TIDAK_ADA, nama="")
    statuses = [file_ticket(client, data).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]  # 10 per NIP per 10 minutes
    # Another NIP from the same address is still served, and it files a ticket.
    other = ticket_data(nip="198001012005011998", kategori=Tiket.KATEGORI_TIDAK_ADA)
    assert file_ticket(client, other).status_code == 302
    with application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tiket)) == 1


# --------------------------------------------------------------------------------------------
# Routing and the staff inbox
# --------------------------------------------------------------------------------------------
def test_tickets_reach_the_right_inbox(app, world, login):
    client = login()
    to_a = filed(client, world, nama="PELAPOR INSTANSI A")
    to_b = filed(client, world, nip=world["peg_b"].nip, nama="PELAPOR INSTANSI B")
    national = filed(client, world, nip="", kategori=Tiket.KATEGORI_TIDAK_ADA, nama="PELAPOR TANPA NIP")
    assert (to_a.instansi_id, to_b.instansi_id, national.instansi_id) == (world["inst_a"].id, world["inst_b"].id, None)
    names = {t.id: t.nama for t in (to_a, to_b, national)}
    make_user(app, "helpdesk_b", ROLE_HELPDESK, kanreg=world["kanreg_b"])

    expected = {
        "vinstansi": {to_a.id},
        "vinstansi_b": {to_b.id},
        "helpdesk": {to_a.id, to_b.id, national.id},  # national Helpdesk: all
        "helpdesk_b": {to_b.id, national.id},  # Kanreg B: its instansi + unrouted
        "admin": {to_a.id, to_b.id, national.id},
    }
    for username, visible in expected.items():
        staff = login(username)
        page = page_text(staff.get("/tiket/"))
        for pk, nama in names.items():
            assert (nama in page) == (pk in visible), (username, nama)
            status = staff.get(f"/tiket/{pk}").status_code
            assert status == (200 if pk in visible else 404), (username, nama, status)


def test_verifikator_of_another_instansi_gets_404_everywhere(app, world, login):
    data = tiny_pdf()
    tiket = filed(login(), world, upload=(data, "sk.pdf"))
    other = login("vinstansi_b")
    for url in (
        f"/tiket/{tiket.id}",
        f"/tiket/{tiket.id}/lampiran",
        f"/laporkan/cetak/{tiket.nomor}",
        f"/laporkan/selesai/{tiket.nomor}",
    ):
        response = other.get(url)
        assert response.status_code == 404, url
        assert response.data != data and tiket.nama.encode() not in response.data
    token = csrf_token(other, "/laporkan/")  # the session's token, from any form
    assert other.post(f"/tiket/{tiket.id}/ambil", data={"csrf_token": token}).status_code == 404
    response = other.post(f"/tiket/{tiket.id}/selesai", data={"csrf_token": token, "resolution": "bukan urusan saya"})
    assert response.status_code == 404
    row = fresh(Tiket, tiket.id)
    assert row.status == Tiket.STATUS_BARU and row.resolution is None and row.handled_by_id is None


@pytest.mark.parametrize("username", ["pns", "monitor", "vskpd", "vbkn"])
def test_roles_without_tickets_cannot_open_the_inbox(username, app, world, login):
    tiket = filed(login(), world, upload=(tiny_png(), "sk.png"))
    client = login(username)
    for url in ("/tiket/", f"/tiket/{tiket.id}", f"/tiket/{tiket.id}/lampiran"):
        response = client.get(url)
        assert response.status_code == 403, (url, response.status_code)
        assert tiket.nomor not in response.get_data(as_text=True)
    assert "/tiket/" not in client.get("/").get_data(as_text=True)  # no menu entry


def test_anonymous_is_sent_to_login(app, world, login):
    response = login().get("/tiket/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_inbox_filters_by_status_and_category(app, world, login):
    client = login()
    beda_nama = filed(client, world, nama="PELAPOR SATU")
    pensiun = filed(client, world, nama="PELAPOR DUA", kategori=Tiket.KATEGORI_PENSIUN)
    staff = login("vinstansi")
    token = csrf_token(staff, f"/tiket/{pensiun.id}")
    staff.post(f"/tiket/{pensiun.id}/ambil", data={"csrf_token": token})

    page = page_text(staff.get("/tiket/?kategori=pensiun_berhenti"))
    assert "PELAPOR DUA" in page and "PELAPOR SATU" not in page
    page = page_text(staff.get("/tiket/?status=baru"))
    assert "PELAPOR SATU" in page and "PELAPOR DUA" not in page
    assert beda_nama.nomor in page
    page = page_text(staff.get("/tiket/?status=zzz&kategori=<x>&page=abc"))
    assert "PELAPOR SATU" in page and "PELAPOR DUA" in page


# --------------------------------------------------------------------------------------------
# Handling
# --------------------------------------------------------------------------------------------
def test_claim_and_resolve_are_audited(app, world, login):
    tiket = filed(login(), world)
    staff = login("vinstansi")
    user = world["users"]["Verifikator Instansi"]
    page = page_text(staff.get(f"/tiket/{tiket.id}"))
    assert "reset_registration" not in page  # only Helpdesk/Admin are offered the reset

    token = csrf_token(staff, f"/tiket/{tiket.id}")
    staff.post(f"/tiket/{tiket.id}/ambil", data={"csrf_token": token})
    assert fresh(Tiket, tiket.id).status == Tiket.STATUS_DIPROSES
    assert fresh(Tiket, tiket.id).handled_by_id == user.id

    # An empty note is refused.
    staff.post(f"/tiket/{tiket.id}/selesai", data={"csrf_token": token, "resolution": "  "})
    assert fresh(Tiket, tiket.id).status == Tiket.STATUS_DIPROSES

    note = "Nama sudah dibetulkan sesuai SK."
    response = staff.post(
        f"/tiket/{tiket.id}/selesai", data={"csrf_token": token, "resolution": note}, follow_redirects=True
    )
    row = fresh(Tiket, tiket.id)
    assert row.status == Tiket.STATUS_SELESAI and row.resolution == note and row.resolved_at
    assert note in page_text(response)
    events = db.session.scalars(select(AuditLog).where(AuditLog.target_type == "Tiket").order_by(AuditLog.id)).all()
    assert [e.event for e in events] == ["ticket.created", "ticket.claimed", "ticket.resolved"]
    assert events[-1].actor_id == user.id and note in events[-1].detail

    # Resolved is final.
    staff.post(f"/tiket/{tiket.id}/selesai", data={"csrf_token": token, "resolution": "lagi"})
    assert fresh(Tiket, tiket.id).resolution == note


def _live_registration(app, pegawai):
    from app.models import SecurityQuestion

    question = db.session.scalars(select(SecurityQuestion)).first()
    registrasi = register_pns(
        app, pegawai, "siti@example.id", PASSWORD, mother="Ibu Siti", answer="kucing", question_id=question.id
    )
    return registrasi.id


def test_helpdesk_resolves_with_a_registration_reset(app, world, login):
    peg = world["peg_sub"]
    registrasi_id = _live_registration(app, peg)
    tiket = filed(login(), world, nip=peg.nip, nama=peg.nama, kategori=Tiket.KATEGORI_TURUN_STATUS)

    # A Verifikator Instansi may not reset, even by posting the box himself.
    staff = login("vinstansi")
    token = csrf_token(staff, f"/tiket/{tiket.id}")
    staff.post(
        f"/tiket/{tiket.id}/selesai", data={"csrf_token": token, "resolution": "reset", "reset_registration": "y"}
    )
    assert fresh(Tiket, tiket.id).status == Tiket.STATUS_BARU
    assert fresh(Registrasi, registrasi_id).status == Registrasi.STATUS_MENUNGGU

    helpdesk = login("helpdesk")
    page = page_text(helpdesk.get(f"/tiket/{tiket.id}"))
    assert 'name="reset_registration"' in page
    token = csrf_token(helpdesk, f"/tiket/{tiket.id}")
    helpdesk.post(
        f"/tiket/{tiket.id}/selesai",
        data={"csrf_token": token, "resolution": "Salah instansi, silakan daftar ulang.", "reset_registration": "y"},
    )
    assert fresh(Tiket, tiket.id).status == Tiket.STATUS_SELESAI
    registrasi = fresh(Registrasi, registrasi_id)
    assert registrasi.status == Registrasi.STATUS_DIRESET and not registrasi.user.active
    assert tiket.nomor in registrasi.alasan
    events = set(db.session.scalars(select(AuditLog.event)))
    assert {"ticket.resolved", "registration.reset"} <= events
    # The NIP can register again.
    assert registration.lookup_nip(db.session, peg.nip).status == registration.LOOKUP_OK


def test_reset_without_a_live_registration_changes_nothing(app, world, login):
    tiket = filed(login(), world, nip="", kategori=Tiket.KATEGORI_TIDAK_ADA)
    helpdesk = login("helpdesk")
    assert 'name="reset_registration"' not in page_text(helpdesk.get(f"/tiket/{tiket.id}"))
    token = csrf_token(helpdesk, f"/tiket/{tiket.id}")
    response = helpdesk.post(
        f"/tiket/{tiket.id}/selesai",
        follow_redirects=True,
        data={"csrf_token": token, "resolution": "coba reset", "reset_registration": "y"},
    )
    expected = message(app, "This NIP has no pending or approved registration to reset.")
    assert expected in page_text(response)
    assert fresh(Tiket, tiket.id).status == Tiket.STATUS_BARU


def test_pegawai_nip_is_unchanged_by_tickets(app, world, login):
    """A ticket reports; it never changes the official record by itself."""
    before = fresh(Pegawai, world["peg_a"].id).nama
    filed(login(), world, nama="BUDI SANTOSA")
    assert fresh(Pegawai, world["peg_a"].id).nama == before
