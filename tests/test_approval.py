"""Registration approval inbox (Verifikator Instansi, Admin) and the Helpdesk account tools.

Registrations are made with services.registration.register, as the public form makes them;
every HTTP request runs in its own app context (see tests/test_login.py).
"""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditLog
from app.models.registration import Registrasi
from app.roles import ROLE_HELPDESK
from app.models import User
from app.services import registration

from .helpers import (
    csrf_token,
    make_user,
    fresh,
    logged_in,
    post_login,
    MOTHER,
    PNS_PASSWORD,
    approve_directly,
    register_pns,
)
from .test_login import login_as, new_client  # noqa: F401 - new_client is a fixture

INBOX = "/persetujuan/"


def status_of(pk):
    return fresh(Registrasi, pk).status


def dashed(nomor):
    return "-".join(nomor[i : i + 4] for i in range(0, len(nomor), 4))


@pytest.fixture
def regs(app, world):
    """Pending registrations: two of instansi A (BUDI, then SITI), one of instansi B (DEWI)."""
    a1 = register_pns(app, world["peg_a"], email="budi.santoso@gmail.com")
    a2 = register_pns(app, world["peg_sub"], email="siti.aminah@yahoo.co.id")
    b1 = register_pns(app, world["peg_b"], email="dewi.lestari@gmail.com")
    return {"a1": (a1.id, a1.nomor), "a2": (a2.id, a2.nomor), "b1": (b1.id, b1.nomor)}


def inbox_token(client):
    return csrf_token(client, INBOX)


def staff_token(client, anonymous=False):
    """A valid CSRF token of this client's session, from a form every user can open."""
    return csrf_token(client, "/login/" if anonymous else "/resetmypassword/form")


def client_and_target(new_client, regs, username):
    """A client of `username` (None: anonymous) and a pending registration of instansi A.
    The PNS is BUDI (a1, approved so that he can log in); the target is then SITI's (a2)."""
    if username is None:
        return new_client(), regs["a1"]
    if username == "pns":
        approve_directly(fresh(Registrasi, regs["a1"][0]))
        return login_as(new_client, fresh(Registrasi, regs["a1"][0]).pegawai.nip, PNS_PASSWORD), regs["a2"]
    return login_as(new_client, username), regs["a1"]


# --- the inbox ------------------------------------------------------------------------------


def test_verifier_sees_only_pending_registrations_of_his_instansi_newest_first(app, new_client, world, regs):
    decided = register_pns(app, world["peg_other"])
    approve_directly(decided)
    client = login_as(new_client, "vinstansi")
    page = client.get(INBOX).get_data(as_text=True)
    a1, a2, b1 = (dashed(regs[k][1]) for k in ("a1", "a2", "b1"))
    assert a1 in page and a2 in page
    assert world["peg_a"].nip in page and "Dinas Pendidikan" in page and "BUDI SANTOSO" in page
    assert page.index(a2) < page.index(a1), "newest first"
    assert b1 not in page and world["peg_b"].nama not in page
    assert dashed(decided.nomor) not in page, "decided registrations are not in the inbox"
    # … but the filter shows the decided ones too.
    page = client.get(f"{INBOX}?status=disetujui").get_data(as_text=True)
    assert dashed(decided.nomor) in page and a1 not in page


def test_admin_sees_every_instansi(new_client, regs):
    page = login_as(new_client, "admin").get(INBOX).get_data(as_text=True)
    assert all(dashed(regs[k][1]) in page for k in ("a1", "a2", "b1"))


def test_search_by_dashed_nomor_and_by_nip(new_client, world, regs):
    client = login_as(new_client, "vinstansi")
    a1, a2 = dashed(regs["a1"][1]), dashed(regs["a2"][1])
    for q in (a1.lower(), a1, regs["a1"][1], f" {a1} "):
        page = client.get(INBOX, query_string={"q": q}).get_data(as_text=True)
        assert a1 in page and a2 not in page, q
    page = client.get(INBOX, query_string={"q": world["peg_sub"].nip}).get_data(as_text=True)
    assert a2 in page and a1 not in page
    # Another instansi's number finds nothing, as if it did not exist.
    page = client.get(INBOX, query_string={"q": dashed(regs["b1"][1])}).get_data(as_text=True)
    assert "No registration matches" in page
    assert world["peg_b"].nama not in page and world["peg_b"].nip not in page


def test_qr_link_finds_an_already_decided_registration(new_client, regs):
    client = login_as(new_client, "vinstansi")
    token = inbox_token(client)
    client.post(f"/persetujuan/approve/{regs['a1'][0]}", data={"csrf_token": token})
    page = client.get(INBOX, query_string={"q": regs["a1"][1]}).get_data(as_text=True)
    assert dashed(regs["a1"][1]) in page and "Approved" in page


def test_page_size_is_capped(app, new_client, regs):
    client = login_as(new_client, "vinstansi")
    page = client.get(INBOX, query_string={"per_page": 1}).get_data(as_text=True)
    assert sum(dashed(regs[k][1]) in page for k in ("a1", "a2")) == 1
    assert "page=2" in page
    huge = client.get(INBOX, query_string={"per_page": 10**9, "page": "x"})
    assert huge.status_code == 200


def test_search_text_is_escaped(new_client, regs):
    client = login_as(new_client, "vinstansi")
    page = client.get(INBOX, query_string={"q": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# --- approve / reject -----------------------------------------------------------------------


def test_approve_activates_the_account_and_the_pns_can_log_in(new_client, world, regs):
    pk, nomor = regs["a1"]
    nip = world["peg_a"].nip
    assert not logged_in(post_login(new_client(), nip, PNS_PASSWORD))

    client = login_as(new_client, "vinstansi")
    response = client.post(f"/persetujuan/approve/{pk}", data={"csrf_token": inbox_token(client)})
    assert response.status_code == 302
    assert "1 registration approved" in client.get(response.headers["Location"]).get_data(as_text=True)

    registrasi = fresh(Registrasi, pk)
    assert registrasi.status == Registrasi.STATUS_DISETUJUI
    assert registrasi.user.active and registrasi.decided_by.username == "vinstansi"
    assert (
        db.session.scalar(
            select(AuditLog.actor_name).where(AuditLog.event == "registration.disetujui", AuditLog.target_id == str(pk))
        )
        == "vinstansi"
    )
    assert logged_in(post_login(new_client(), nip, PNS_PASSWORD))
    assert logged_in(post_login(new_client(), dashed(nomor).lower(), PNS_PASSWORD))

    # Approving twice changes nothing and says so.
    response = client.post(f"/persetujuan/approve/{pk}", data={"csrf_token": inbox_token(client)})
    assert "already been decided" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_reject_needs_a_reason_then_the_pns_cannot_log_in_and_can_register_again(app, new_client, world, regs):
    pk, _nomor = regs["a1"]
    client = login_as(new_client, "vinstansi")
    form_url = f"/persetujuan/reject/{pk}"
    assert world["peg_a"].nip in client.get(form_url).get_data(as_text=True)

    response = client.post(form_url, data={"reason": "   ", "csrf_token": csrf_token(client, form_url)})
    assert response.status_code == 200 and "A reason is required." in response.get_data(as_text=True)
    assert status_of(pk) == Registrasi.STATUS_MENUNGGU

    reason = "NIP pada bukti registrasi tidak sesuai dengan SK"
    response = client.post(form_url, data={"reason": reason, "csrf_token": csrf_token(client, form_url)})
    assert response.status_code == 302
    registrasi = fresh(Registrasi, pk)
    assert (registrasi.status, registrasi.alasan) == (Registrasi.STATUS_DITOLAK, reason)
    assert not registrasi.user.active
    assert not logged_in(post_login(new_client(), world["peg_a"].nip, PNS_PASSWORD))
    # The decided one shows its reason under the filter.
    assert reason in client.get(f"{INBOX}?status=ditolak").get_data(as_text=True)

    again = register_pns(app, fresh(Registrasi, pk).pegawai)
    assert again.status == Registrasi.STATUS_MENUNGGU and again.id != pk


def test_bulk_approve_with_an_id_of_another_instansi_approves_nothing(new_client, regs):
    client = login_as(new_client, "vinstansi")
    ids = [str(regs[k][0]) for k in ("a1", "a2", "b1")]
    response = client.post("/persetujuan/approve", data={"ids": ids, "csrf_token": inbox_token(client)})
    assert response.status_code in (403, 404)
    assert [status_of(regs[k][0]) for k in ("a1", "a2", "b1")] == [Registrasi.STATUS_MENUNGGU] * 3

    # Control: his own two are approved together.
    response = client.post("/persetujuan/approve", data={"ids": ids[:2], "csrf_token": inbox_token(client)})
    assert response.status_code == 302
    assert "2 registrations approved" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert [status_of(regs[k][0]) for k in ("a1", "a2")] == [Registrasi.STATUS_DISETUJUI] * 2
    assert status_of(regs["b1"][0]) == Registrasi.STATUS_MENUNGGU


def test_bulk_approve_refuses_malformed_ids(new_client, regs):
    client = login_as(new_client, "vinstansi")
    token = inbox_token(client)
    for bad in (["abc"], ["99999999999"], [str(regs["a1"][0]), "1 OR 1=1"]):
        response = client.post("/persetujuan/approve", data={"ids": bad, "csrf_token": token})
        assert response.status_code == 400, bad
    assert status_of(regs["a1"][0]) == Registrasi.STATUS_MENUNGGU


def test_approve_or_reject_of_another_instansi_by_url_is_refused(new_client, world, regs):
    pk_b = regs["b1"][0]
    client = login_as(new_client, "vinstansi")
    token = inbox_token(client)
    assert client.post(f"/persetujuan/approve/{pk_b}", data={"csrf_token": token}).status_code == 404
    response = client.get(f"/persetujuan/reject/{pk_b}")
    assert response.status_code == 404 and world["peg_b"].nama not in response.get_data(as_text=True)
    response = client.post(f"/persetujuan/reject/{pk_b}", data={"reason": "x", "csrf_token": token})
    assert response.status_code == 404
    assert status_of(pk_b) == Registrasi.STATUS_MENUNGGU

    # Control: B's own verifier approves it.
    client_b = login_as(new_client, "vinstansi_b")
    client_b.post(f"/persetujuan/approve/{pk_b}", data={"csrf_token": inbox_token(client_b)})
    assert status_of(pk_b) == Registrasi.STATUS_DISETUJUI


@pytest.mark.parametrize("username", ["monitor", "vskpd", "vbkn", "pns", "helpdesk", None])
def test_other_roles_cannot_use_the_inbox(new_client, regs, username):
    client, (pk, nomor) = client_and_target(new_client, regs, username)
    token = staff_token(client, anonymous=username is None)
    nomor = dashed(nomor)
    for response in (client.get(INBOX), client.get(f"/persetujuan/reject/{pk}")):
        if username is None:
            assert response.status_code == 302 and "/login/" in response.headers["Location"]
        else:
            assert response.status_code == 403
        assert nomor not in response.get_data(as_text=True)
    for url, data in (
        (f"/persetujuan/approve/{pk}", {}),
        ("/persetujuan/approve", {"ids": [str(pk)]}),
        (f"/persetujuan/reject/{pk}", {"reason": "tidak"}),
    ):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code in (302, 403), url
    assert status_of(pk) == Registrasi.STATUS_MENUNGGU


def test_missing_csrf_token_is_refused(new_client, world, regs):
    client = login_as(new_client, "vinstansi")
    pk = regs["a1"][0]
    assert client.post(f"/persetujuan/approve/{pk}").status_code == 400
    assert client.post("/persetujuan/approve", data={"ids": [str(pk)]}).status_code == 400
    assert client.post(f"/persetujuan/reject/{pk}", data={"reason": "tidak"}).status_code == 400
    assert status_of(pk) == Registrasi.STATUS_MENUNGGU

    helpdesk = login_as(new_client, "helpdesk")
    assert helpdesk.post(f"/helpdesk/registrasi/{pk}/reset", data={"reason": "tiket 12"}).status_code == 400
    user_id = fresh(Registrasi, pk).user_id
    assert helpdesk.post(f"/helpdesk/akun/{user_id}/unlock").status_code == 400
    assert status_of(pk) == Registrasi.STATUS_MENUNGGU


# --- Helpdesk -------------------------------------------------------------------------------


def test_helpdesk_lookup_shows_status_but_no_secret(new_client, world, regs):
    pk, nomor = regs["a1"]
    registrasi = fresh(Registrasi, pk)
    secrets = [
        registrasi.answer_hash,
        registrasi.mother_name_hash,
        registrasi.user.password,
        MOTHER,
        "budi.santoso@gmail.com",
        "$argon2",
    ]
    client = login_as(new_client, "helpdesk")
    for q in (world["peg_a"].nip, dashed(nomor).lower()):
        response = client.get("/helpdesk/registrasi/", query_string={"q": q})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert dashed(nomor) in page and "Pending" in page
        assert world["peg_a"].nama in page and world["inst_a"].nama in page
        assert "b***@gmail.com" in page
        leaked = [s for s in secrets if s in page]
        assert leaked == [], q


def test_helpdesk_of_one_kanreg_does_not_see_another(app, new_client, world, regs):
    make_user(app, "helpdesk_b", ROLE_HELPDESK, kanreg=world["kanreg_b"])
    client = login_as(new_client, "helpdesk_b")
    page = client.get("/helpdesk/registrasi/", query_string={"q": world["peg_a"].nip}).get_data(as_text=True)
    assert world["peg_a"].nama not in page and dashed(regs["a1"][1]) not in page
    token = staff_token(client)
    pk = regs["a1"][0]
    assert client.get(f"/helpdesk/registrasi/{pk}/reset").status_code == 404
    assert (
        client.post(f"/helpdesk/registrasi/{pk}/reset", data={"reason": "tiket", "csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post(f"/helpdesk/akun/{fresh(Registrasi, pk).user_id}/unlock", data={"csrf_token": token}).status_code
        == 404
    )
    assert status_of(pk) == Registrasi.STATUS_MENUNGGU
    # His own Kanreg is in reach.
    page = client.get("/helpdesk/registrasi/", query_string={"q": world["peg_b"].nip}).get_data(as_text=True)
    assert world["peg_b"].nama in page


def test_helpdesk_reset_frees_the_nip_disables_the_account_and_is_audited(app, new_client, world, regs):
    pk, _nomor = regs["a1"]
    approve_directly(fresh(Registrasi, pk))
    nip = world["peg_a"].nip
    assert logged_in(post_login(new_client(), nip, PNS_PASSWORD))

    client = login_as(new_client, "helpdesk")
    url = f"/helpdesk/registrasi/{pk}/reset"
    response = client.post(url, data={"reason": "", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 200 and "A reason is required." in response.get_data(as_text=True)
    assert status_of(pk) == Registrasi.STATUS_DISETUJUI

    reason = "Tiket 2015-0042: salah ketik email, PNS minta daftar ulang"
    response = client.post(url, data={"reason": reason, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    registrasi = fresh(Registrasi, pk)
    assert (registrasi.status, registrasi.alasan) == (Registrasi.STATUS_DIRESET, reason)
    assert not registrasi.user.active
    assert not logged_in(post_login(new_client(), nip, PNS_PASSWORD))
    entry = db.session.scalar(select(AuditLog).where(AuditLog.event == "registration.reset"))
    assert (entry.actor_name, entry.target_id, entry.detail) == ("helpdesk", str(pk), reason)

    assert registration.lookup_nip(db.session, nip).status == registration.LOOKUP_OK
    again = register_pns(app, registrasi.pegawai)
    assert again.status == Registrasi.STATUS_MENUNGGU
    # A reset registration cannot be reset twice.
    assert client.get(url).status_code == 302 and status_of(pk) == Registrasi.STATUS_DIRESET


def test_unlock_from_the_lookup_screen(new_client, world, regs):
    pk, _ = regs["a1"]
    approve_directly(fresh(Registrasi, pk))
    nip = world["peg_a"].nip
    for _ in range(5):
        post_login(new_client(), nip, "Salah-Sekali-99")
    user_id = fresh(Registrasi, pk).user_id
    assert fresh(User, user_id).locked_until is not None

    client = login_as(new_client, "helpdesk")
    page = client.get("/helpdesk/registrasi/", query_string={"q": nip}).get_data(as_text=True)
    assert "Locked until" in page and "Unlock account" in page
    token = csrf_token(client, f"/helpdesk/registrasi/?q={nip}")
    assert client.post(f"/helpdesk/akun/{user_id}/unlock", data={"csrf_token": token}).status_code == 302
    assert fresh(User, user_id).locked_until is None
    assert logged_in(post_login(new_client(), nip, PNS_PASSWORD))
    assert db.session.scalar(select(AuditLog.actor_name).where(AuditLog.event == "account.unlock")) == "helpdesk"


def test_staff_accounts_are_unlocked_by_admin_only(new_client, world):
    vinstansi = world["users"]["Verifikator Instansi"].id
    helpdesk = login_as(new_client, "helpdesk")
    token = staff_token(helpdesk)
    assert helpdesk.post(f"/helpdesk/akun/{vinstansi}/unlock", data={"csrf_token": token}).status_code == 404
    admin = login_as(new_client, "admin")
    page = admin.get("/helpdesk/registrasi/", query_string={"q": "vinstansi"}).get_data(as_text=True)
    assert "vinstansi" in page
    token = staff_token(admin)
    assert admin.post(f"/helpdesk/akun/{vinstansi}/unlock", data={"csrf_token": token}).status_code == 302


@pytest.mark.parametrize("username", ["vinstansi", "vskpd", "vbkn", "monitor", "pns", None])
def test_other_roles_cannot_use_the_helpdesk_tools(new_client, world, regs, username):
    client, (pk, nomor) = client_and_target(new_client, regs, username)
    nip = fresh(Registrasi, pk).pegawai.nip
    for url in (f"/helpdesk/registrasi/?q={nip}", f"/helpdesk/registrasi/{pk}/reset"):
        response = client.get(url)
        assert response.status_code == (302 if username is None else 403), url
        assert dashed(nomor) not in response.get_data(as_text=True)
    token = staff_token(client, anonymous=username is None)
    response = client.post(f"/helpdesk/registrasi/{pk}/reset", data={"reason": "x", "csrf_token": token})
    assert response.status_code in (302, 403)
    assert status_of(pk) == Registrasi.STATUS_MENUNGGU


# --- audit log ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["helpdesk", "vinstansi", "monitor", "pns"])
def test_audit_log_is_admin_only(new_client, world, username):
    assert login_as(new_client, username).get("/auditlog/").status_code == 403
    assert new_client().get("/auditlog/").status_code == 302


def test_admin_reads_the_audit_log_newest_first_filtered_by_event(new_client, world, regs):
    client = login_as(new_client, "vinstansi")
    client.post(f"/persetujuan/approve/{regs['a1'][0]}", data={"csrf_token": inbox_token(client)})
    admin = login_as(new_client, "admin")
    page = admin.get("/auditlog/").get_data(as_text=True)
    assert "registration.disetujui" in page and "registration.created" in page and "login.success" in page
    assert page.index("login.success") < page.index("registration.disetujui") < page.index("registration.created")
    page = admin.get("/auditlog/", query_string={"event": "registration"}).get_data(as_text=True)
    assert "registration.created" in page and "login.success" not in page
    page = admin.get("/auditlog/", query_string={"event": "registration.disetujui"}).get_data(as_text=True)
    assert "registration.disetujui" in page and "registration.created" not in page
    # No secret in any row: answers and passwords never reach the audit log.
    assert "$argon2" not in admin.get("/auditlog/").get_data(as_text=True)


def _mails_to(address):
    from app.models.audit import OutboxMail

    db.session.rollback()
    return db.session.scalars(select(OutboxMail).where(OutboxMail.recipient == address)).all()


def test_the_pns_is_mailed_the_approval_at_the_address_he_gave(new_client, world, regs):
    pk, nomor = regs["a1"]
    client = login_as(new_client, "vinstansi")
    client.post(f"/persetujuan/approve/{pk}", data={"csrf_token": inbox_token(client)})
    [mail] = _mails_to("budi.santoso@gmail.com")
    assert mail.subject == "e-PUPNS: pendaftaran Anda disetujui"
    assert fresh(Registrasi, pk).nomor_tampil in mail.body and world["peg_a"].nip in mail.body
    assert "/login/" in mail.body and "telah disetujui" in mail.body
    # Nobody else hears of it; the others are still pending.
    assert _mails_to("siti.aminah@yahoo.co.id") == [] and _mails_to("dewi.lestari@gmail.com") == []


def test_the_pns_is_mailed_the_rejection_with_its_reason(new_client, world, regs):
    pk, _nomor = regs["a2"]
    client = login_as(new_client, "vinstansi")
    form_url = f"/persetujuan/reject/{pk}"
    reason = "Unit kerja pada data tidak sesuai dengan SK terakhir"
    client.post(form_url, data={"reason": reason, "csrf_token": csrf_token(client, form_url)})
    [mail] = _mails_to("siti.aminah@yahoo.co.id")
    assert mail.subject == "e-PUPNS: pendaftaran Anda ditolak"
    assert f"Alasan: {reason}" in mail.body and "/registrasi/" in mail.body
