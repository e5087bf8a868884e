"""The workflow follows the schedule (Jadwal), and the PNS hears of a returned or finished
submission in the app (Pesan, /pesan/) and by mail (outbox)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Jadwal, OutboxMail, Pesan, Registrasi, Usulan
from app.roles import ROLE_ADMIN, ROLE_HELPDESK, ROLE_PNS, ROLE_VERIFIKATOR_SKPD
from app.services import workflow
from app.services.workflow import KEMBALIKAN, KIRIM, TURUN_STATUS, VERIFIKASI, PhaseClosed

from .factories import RegistrasiFactory
from .helpers import csrf_token, set_phase
from .test_workflow import REASON, drive, draft_with, fresh


def _close_run():
    db.session.execute(Jadwal.__table__.delete())
    db.session.commit()


def _outbox():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def _messages(user):
    db.session.expire_all()
    return db.session.scalars(select(Pesan).where(Pesan.user_id == user.id).order_by(Pesan.id)).all()


# --------------------------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------------------------
def test_nothing_moves_without_an_open_phase(world):
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    users = world["users"]
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    other_draft = workflow.open_draft(db.session, world["peg_sub"])
    _close_run()
    # The PNS cannot edit a draft, the verifier cannot act or mark items, no button is shown.
    with pytest.raises(PhaseClosed):
        workflow.propose(db.session, other_draft, "data_utama", "change", {"nama": "SITI A"})
    with pytest.raises(PhaseClosed):
        workflow.transition(db.session, users[ROLE_VERIFIKATOR_SKPD], usulan.id, VERIFIKASI)
    item = usulan.items[0]
    with pytest.raises(PhaseClosed):
        workflow.set_verdict(db.session, users[ROLE_VERIFIKATOR_SKPD], usulan.id, item.id, "sesuai")
    assert workflow.allowed_actions(db.session, users[ROLE_VERIFIKATOR_SKPD], fresh(Usulan, usulan.id)) == []
    with pytest.raises(PhaseClosed):
        workflow.transition(db.session, users[ROLE_HELPDESK], usulan.id, TURUN_STATUS, reason=REASON)
    assert fresh(Usulan, usulan.id).status == "di_skpd"
    assert fresh(Usulan, usulan.id).events[-1].action == KIRIM
    # Admin may still send it back after the run closed, to correct it.
    workflow.transition(db.session, users[ROLE_ADMIN], usulan.id, TURUN_STATUS, reason=REASON)
    assert fresh(Usulan, usulan.id).status == "draft"


def test_verification_phase_new_drafts_wait_returned_ones_may_be_fixed(world):
    users = world["users"]
    set_phase(Jadwal.FASE_PENGISIAN, -30, -1)
    set_phase(Jadwal.FASE_VERIFIKASI, 0, 20)
    # A draft never sent cannot be sent during verifikasi.
    new_draft = workflow.open_draft(db.session, world["peg_sub"])
    with pytest.raises(PhaseClosed):
        workflow.propose(db.session, new_draft, "data_utama", "change", {"nama": "SITI A"})
    # A submission sent during pengisian is verified, returned, fixed and sent again.
    _close_run()
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    _close_run()
    set_phase(Jadwal.FASE_PENGISIAN, -30, -1)
    set_phase(Jadwal.FASE_VERIFIKASI, 0, 20)
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_SKPD], usulan.id, KEMBALIKAN, reason=REASON)
    usulan = fresh(Usulan, usulan.id)
    workflow.propose(db.session, usulan, "data_utama", "change", {"nama": world["peg_a"].nama + " P"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, users[ROLE_PNS], usulan.id, KIRIM)
    assert fresh(Usulan, usulan.id).status == "di_skpd"


def test_admin_extends_verification_for_one_instansi(world):
    users = world["users"]
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    _close_run()
    set_phase(Jadwal.FASE_VERIFIKASI, -20, -1)  # national verification ended yesterday
    with pytest.raises(PhaseClosed):
        workflow.transition(db.session, users[ROLE_VERIFIKATOR_SKPD], usulan.id, VERIFIKASI)
    set_phase(Jadwal.FASE_VERIFIKASI, -20, 7, instansi_id=world["inst_a"].id)  # the extension
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_SKPD], usulan.id, VERIFIKASI)
    assert fresh(Usulan, usulan.id).status == "di_instansi"


def test_closed_phase_is_explained_on_the_pns_page(world, client, auth):
    auth.login("pns")
    html = client.get("/data-saya/").get_data(as_text=True)
    assert 'id="phase_closed"' in html
    assert 'name="kirim"' not in html and "/data-saya/kirim" not in html
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    html = client.get("/data-saya/").get_data(as_text=True)
    assert 'id="phase_closed"' not in html


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------
@pytest.fixture
def world(world):
    """The standard world; the PNS registered (and was approved) with his own address."""
    registrasi = RegistrasiFactory(user=world["users"][ROLE_PNS], email="budi.pribadi@gmail.com")
    db.session.commit()
    return {**world, "registered_email": registrasi.email}


def test_a_pns_without_an_approved_registration_gets_the_message_but_no_mail(world):
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    db.session.execute(Registrasi.__table__.delete())
    db.session.commit()
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    workflow.transition(db.session, world["users"][ROLE_VERIFIKATOR_SKPD], usulan.id, KEMBALIKAN, reason="Lengkapi")
    assert len(_messages(world["users"][ROLE_PNS])) == 1 and _outbox() == []


def test_returned_submission_messages_the_pns_with_reason_and_items(world):
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    users, pns = world["users"], world["users"][ROLE_PNS]
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    skpd = users[ROLE_VERIFIKATOR_SKPD]
    workflow.set_verdict(
        db.session, skpd, usulan.id, usulan.items[0].id, "tidak_sesuai", "BTS", "SK golongan tidak dilampirkan"
    )
    assert _messages(pns) == [] and _outbox() == []
    workflow.transition(db.session, skpd, usulan.id, KEMBALIKAN, reason="Lengkapi berkas SK")
    [message] = _messages(pns)
    assert message.kind == Pesan.KIND_RETURNED and message.read_at is None
    assert "Lengkapi berkas SK" in message.body
    assert "Data Utama" in message.body and "SK golongan tidak dilampirkan" in message.body
    [mail] = _outbox()
    # To the address the PNS gave at registration, never his account's technical address.
    assert mail.recipient == world["registered_email"] != pns.email
    assert mail.subject == message.subject
    assert "Lengkapi berkas SK" in mail.body and "/data-saya/" in mail.body
    # Only the PNS of that record hears of it.
    assert _messages(users["vinstansi_b"]) == []


def test_finished_submission_messages_the_pns(world):
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    pns = world["users"][ROLE_PNS]
    drive(world, draft_with(world["peg_a"]), "selesai")
    [message] = _messages(pns)
    assert message.kind == Pesan.KIND_FINISHED
    assert [m.subject for m in _outbox()] == [message.subject]


def test_no_message_when_a_transition_fails(world):
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    pns, skpd = world["users"][ROLE_PNS], world["users"][ROLE_VERIFIKATOR_SKPD]
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    with pytest.raises(workflow.ReasonRequired):
        workflow.transition(db.session, skpd, usulan.id, KEMBALIKAN, reason="  ")
    assert _messages(pns) == [] and _outbox() == []


def test_message_page_notice_and_mark_read(world, client, auth):
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    pns, skpd = world["users"][ROLE_PNS], world["users"][ROLE_VERIFIKATOR_SKPD]
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    workflow.transition(db.session, skpd, usulan.id, KEMBALIKAN, reason="Nama <script>x</script>")
    auth.login("pns")
    page = client.get("/data-saya/").get_data(as_text=True)
    assert "Anda memiliki 1 pesan baru" in page
    html = client.get("/pesan/").get_data(as_text=True)
    assert "Nama &lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert client.post("/pesan/baca").status_code == 400  # no CSRF token
    assert _messages(pns)[0].read_at is None
    token = csrf_token(client, "/pesan/")
    assert client.post("/pesan/baca", data={"csrf_token": token}).status_code == 302
    assert _messages(pns)[0].read_at is not None
    assert "pesan baru" not in client.get("/data-saya/").get_data(as_text=True)


def test_staff_do_not_get_the_message_page(world, client, auth):
    auth.login("vskpd")
    assert client.get("/pesan/").status_code in (302, 403)


def test_phase_bar_shows_the_users_own_instansi_schedule(world, client, auth):
    set_phase(Jadwal.FASE_PENGISIAN, -30, -1)
    set_phase(Jadwal.FASE_VERIFIKASI, 0, 9)
    set_phase(Jadwal.FASE_PENGISIAN, -30, 4, instansi_id=world["inst_a"].id)  # A is staggered
    anonymous = client.get("/").get_data(as_text=True)
    assert "Verifikasi" in anonymous and "sisa 10 hari" in anonymous
    auth.login("pns")  # a PNS of instansi A
    page = client.get("/data-saya/").get_data(as_text=True)
    assert "Pengisian" in page and "sisa 5 hari" in page


def test_the_message_goes_to_the_pns_account_not_to_a_staff_account_of_the_same_person(world):
    """A staff account may name the Pegawai behind it (information only, SECURITY.md): news
    of that Pegawai's submission still goes to his PNS account alone."""
    set_phase(Jadwal.FASE_PENGISIAN, -5, 30)
    users, pns = world["users"], world["users"][ROLE_PNS]
    monitor = users["Monitor"]
    monitor.pegawai = world["peg_a"]  # created before the PNS account: the lower id
    db.session.commit()
    drive(world, draft_with(world["peg_a"]), "selesai")
    assert [m.kind for m in _messages(pns)] == [Pesan.KIND_FINISHED]
    assert _messages(monitor) == []
