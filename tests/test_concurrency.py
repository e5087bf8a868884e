"""Concurrent requests against a live, threaded server (issue 21): one person firing the same
write from two tabs / a double click, and two people acting on one object at once.

Every write route is hit by parallel bursts. No answer may be a 5xx; the final state must be
what the same requests give one after the other; a refused request must say why in
Indonesian. Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Organisasi, utcnow
from app.models.audit import AuditLog
from app.models.notification import Pesan
from app.models.registration import Registrasi
from app.models.submission import Usulan, UsulanEvent, UsulanItem, UsulanSection
from app.models.ticket import Tiket
from app.roles import ROLE_PNS, ROLE_VERIFIKATOR_INSTANSI, ROLE_VERIFIKATOR_SKPD
from app.models import User
from app.services import registration
from app.services import ticket as ticket_service
from app.services import workflow

from .helpers import PASSWORD, csrf_token, make_user, register_pns
from .test_ticket import tiny_pdf

pytestmark = pytest.mark.usefixtures("open_run")

# Indonesian texts the people must see (translations/id).
MARKED = "Bagian ditandai sudah diperiksa."
SAVED = "Usulan Anda tersimpan di draf."
ALREADY_SENT = "sudah dikirim"
ALREADY_HANDLED = "sudah ditangani"
ALREADY_DECIDED = "Registrasi ini sudah diputuskan."


@dataclass
class Answer:
    status: int  # of the POST itself
    page: str  # the page it led to (redirect followed in the same cookie jar)

    def says(self, text):
        return text in self.page

    def __repr__(self):
        # The flashed messages, not the whole page, in an assertion's report.
        alerts = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', self.page, re.S)
        texts = [" ".join(re.sub(r"<[^>]+>", " ", a).split()) for a in alerts]
        return f"Answer({self.status}, {texts})"


class Person:
    """One logged-in browser: its cookie jar is copied into every parallel request, as two
    tabs of one browser share it."""

    def __init__(self, base, username, password=PASSWORD):
        self.base = base
        self.http = requests.Session()
        token = self.token("/login/")
        answer = self.http.post(
            base + "/login/",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
        )
        assert answer.status_code == 302 and "/login/" not in answer.headers["Location"], username

    def token(self, path):
        page = self.http.get(self.base + path).text
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'id="csrf_token"[^>]*value="([^"]+)"', page
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path, data, files=None) -> Answer:
        tab = requests.Session()
        tab.cookies.update(self.http.cookies)
        response = tab.post(self.base + path, data=data, files=files, allow_redirects=False, timeout=60)
        page = response.text
        if response.is_redirect:
            page = tab.get(self.base + response.headers["Location"], timeout=60).text
        return Answer(response.status_code, page)


def burst(calls) -> list[Answer]:
    """Run every (person, path, data[, files]) at the same moment, one thread each."""
    db.session.rollback()  # the test's own session holds no lock while the server works
    start = threading.Barrier(len(calls))

    def run(call):
        person, path, data, *files = call
        start.wait()
        return person.post(path, data, files[0] if files else None)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        answers = list(pool.map(run, calls))
    failed = [(a.status, a.page[:300]) for a in answers if a.status >= 500]
    assert not failed, failed
    db.session.expire_all()
    return answers


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _draft(world):
    db.session.rollback()
    return workflow.open_draft(db.session, world["peg_a"])


def _submitted(world):
    usulan = _draft(world)
    workflow.propose(db.session, usulan, "data_utama", "change", {"no_hp": "0812 3456 7890"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    return usulan.id


# --------------------------------------------------------------------------------------------
# One PNS, two tabs
# --------------------------------------------------------------------------------------------
def test_every_section_marked_twice_at_once_ends_marked_with_no_error(live_server, world):
    usulan = _draft(world)
    start_version = usulan.version
    pns = Person(live_server, "pns")
    token = pns.token("/data-saya/data_utama")
    answers = burst(
        [
            (pns, f"/data-saya/{section}/diperiksa", {"csrf_token": token})
            for section in workflow.SECTIONS
            for _ in range(2)
        ]
    )
    assert all(a.says(MARKED) for a in answers)
    marks = db.session.scalars(select(UsulanSection).where(UsulanSection.usulan_id == usulan.id)).all()
    assert sorted(m.section for m in marks if m.reviewed_at) == sorted(workflow.SECTIONS)
    # 28 marks, each one UPDATE of the draft, as if clicked one after the other.
    assert db.session.get(Usulan, usulan.id).version == start_version + 2 * len(workflow.SECTIONS)


def test_parallel_proposals_uploads_and_removals_all_land_once(live_server, world):
    peg = world["peg_a"]
    rows = [Organisasi(pegawai_id=peg.id, nama_organisasi=f"Koperasi {n}") for n in range(3)]
    db.session.add_all(rows)
    db.session.commit()
    usulan = _draft(world)
    pns = Person(live_server, "pns")
    token = pns.token("/data-saya/organisasi")
    calls = [
        (
            pns,
            "/data-saya/organisasi/usul",
            {"csrf_token": token, "nama_organisasi": f"PGRI {n}"},
            {"berkas": (f"sk{n}.pdf", tiny_pdf(), "application/pdf")},
        )
        for n in range(4)
    ]
    calls += [(pns, f"/data-saya/organisasi/hapus/{row.id}", {"csrf_token": token}) for row in rows for _ in range(2)]
    utama = {"no_hp": "0812 1111 2222", "alamat": "Jl. Malioboro 1", "kode_pos": "55213", "gelar_depan": "Drs."}
    calls += [(pns, "/data-saya/data_utama/usul", {"csrf_token": token, name: value}) for name, value in utama.items()]
    burst(calls)
    items = db.session.scalars(select(UsulanItem).where(UsulanItem.usulan_id == usulan.id)).all()
    added = [i for i in items if i.operation == UsulanItem.OP_ADD]
    assert sorted(workflow.proposed_values(i)["nama_organisasi"] for i in added) == [f"PGRI {n}" for n in range(4)]
    assert all(i.dokumen_id for i in added)
    assert sorted(i.target_id for i in items if i.operation == UsulanItem.OP_REMOVE) == sorted(r.id for r in rows)
    (change,) = [i for i in items if i.section == "data_utama"]
    assert set(workflow.proposed_values(change)) == set(utama)

    # Withdrawing each added row from two tabs: each is gone once, nothing else goes.
    answers = burst(
        [(pns, f"/data-saya/organisasi/batal/{i.id}", {"csrf_token": token}) for i in added for _ in range(2)]
    )
    left = db.session.scalars(select(UsulanItem).where(UsulanItem.usulan_id == usulan.id)).all()
    assert {i.operation for i in left if i.section == "organisasi"} == {UsulanItem.OP_REMOVE}
    assert sum(a.says("Usulan perubahan dibatalkan.") for a in answers) >= len(added)


def test_kirim_pressed_four_times_at_once_sends_once_and_says_so(live_server, world):
    usulan = _draft(world)
    workflow.propose(db.session, usulan, "data_utama", "change", {"no_hp": "0812 3456 7890"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    pns = Person(live_server, "pns")
    token = pns.token("/data-saya/")
    version = db.session.get(Usulan, usulan.id).version
    answers = burst([(pns, "/data-saya/kirim", {"csrf_token": token, "version": version})] * 4)
    assert db.session.get(Usulan, usulan.id).status == Usulan.DI_SKPD
    assert count(UsulanEvent, UsulanEvent.usulan_id == usulan.id, UsulanEvent.action == workflow.KIRIM) == 1
    refused = [a for a in answers if not a.says("Usulan Anda telah dikirim untuk diverifikasi")]
    assert len(refused) == 3 and all(a.says(ALREADY_SENT) for a in refused), refused


# --------------------------------------------------------------------------------------------
# Two verifiers on one submission
# --------------------------------------------------------------------------------------------
def _verify_calls(people, pk, action, version, reason=""):
    calls = []
    for person in people:
        token = person.token(f"/verifikasi/{pk}")
        calls += [
            (
                person,
                f"/verifikasi/{pk}/act",
                {"csrf_token": token, "action": action, "version": version, "reason": reason},
            )
        ] * 3
    return calls


def test_two_verifiers_judging_and_verifying_at_once(app, live_server, world):
    pk = _submitted(world)
    make_user(app, "vskpd2", ROLE_VERIFIKATOR_SKPD, instansi=world["inst_a"], unit_kerja=world["unit_a"])
    people = [Person(live_server, "vskpd"), Person(live_server, "vskpd2")]
    item = db.session.scalars(select(UsulanItem).where(UsulanItem.usulan_id == pk)).one()
    calls = []
    for person in people:
        token = person.token(f"/verifikasi/{pk}")
        calls += [
            (
                person,
                f"/verifikasi/{pk}/verdict",
                {"csrf_token": token, "item_id": item.id, "verdict": UsulanItem.SESUAI, "reason_code": ""},
            )
        ] * 4
    answers = burst(calls)
    assert all(a.says("Tanda pemeriksaan disimpan.") for a in answers), answers
    assert db.session.get(UsulanItem, item.id).verdict == UsulanItem.SESUAI

    version = db.session.get(Usulan, pk).version
    answers = burst(_verify_calls(people, pk, workflow.VERIFIKASI, version))
    assert db.session.get(Usulan, pk).status == Usulan.DI_INSTANSI
    assert count(UsulanEvent, UsulanEvent.usulan_id == pk, UsulanEvent.action == workflow.VERIFIKASI) == 1
    refused = [a for a in answers if not a.says("Selesai:")]
    assert len(refused) == 5 and all(a.says(ALREADY_HANDLED) for a in refused)

    # At Instansi: two verifiers return it at once; it goes back to draft once.
    make_user(app, "vinstansi2", ROLE_VERIFIKATOR_INSTANSI, instansi=world["inst_a"])
    people = [Person(live_server, "vinstansi"), Person(live_server, "vinstansi2")]
    version = db.session.get(Usulan, pk).version
    answers = burst(_verify_calls(people, pk, workflow.KEMBALIKAN, version, reason="NIK salah"))
    assert db.session.get(Usulan, pk).status == Usulan.DRAFT
    assert count(UsulanEvent, UsulanEvent.usulan_id == pk, UsulanEvent.action == workflow.KEMBALIKAN) == 1
    assert count(Pesan, Pesan.usulan_id == pk) == 1
    assert sum(a.says(ALREADY_HANDLED) for a in answers) == 5


def test_helpdesk_and_admin_lower_one_status_at_once(live_server, world):
    pk = _submitted(world)
    people = [Person(live_server, "helpdesk"), Person(live_server, "admin")]
    version = db.session.get(Usulan, pk).version
    answers = burst(_verify_calls(people, pk, workflow.TURUN_STATUS, version, reason="salah kirim"))
    assert db.session.get(Usulan, pk).status == Usulan.DRAFT
    assert count(UsulanEvent, UsulanEvent.usulan_id == pk, UsulanEvent.action == workflow.TURUN_STATUS) == 1
    assert sum(a.says(ALREADY_HANDLED) for a in answers) == 5


# --------------------------------------------------------------------------------------------
# Registrations, helpdesk, tickets, messages
# --------------------------------------------------------------------------------------------
def _audits(event, target_id):
    return count(AuditLog, AuditLog.event == event, AuditLog.target_id == str(target_id))


def test_registration_decisions_and_helpdesk_actions_at_once(app, live_server, world):
    first = register_pns(app, world["peg_sub"], email="siti@gmail.com")
    second = register_pns(app, world["peg_other"], email="agus@gmail.com")
    people = [Person(live_server, "vinstansi"), Person(live_server, "admin")]
    calls = []
    for person in people:
        token = person.token("/persetujuan/")
        calls += [(person, f"/persetujuan/approve/{first.id}", {"csrf_token": token})] * 3
        calls += [(person, f"/persetujuan/reject/{second.id}", {"csrf_token": token, "reason": "NIP salah"})] * 3
    answers = burst(calls)
    assert db.session.get(Registrasi, first.id).status == Registrasi.STATUS_DISETUJUI
    assert db.session.get(Registrasi, second.id).status == Registrasi.STATUS_DITOLAK
    assert _audits("registration.disetujui", first.id) == 1
    assert _audits("registration.ditolak", second.id) == 1
    assert sum(a.says(ALREADY_DECIDED) for a in answers) == 10

    # Helpdesk and Admin reset the approved registration and unlock an account at once.
    locked = db.session.get(User, db.session.get(Registrasi, first.id).user_id)
    pns_user = db.session.scalar(select(User).where(User.username == "pns"))
    pns_user.locked_until = utcnow().replace(year=2099)
    db.session.commit()
    people = [Person(live_server, "helpdesk"), Person(live_server, "admin")]
    calls = []
    for person in people:
        token = person.token("/resetmypassword/form")
        calls += [(person, f"/helpdesk/registrasi/{first.id}/reset", {"csrf_token": token, "reason": "Ganti"})] * 2
        calls += [(person, f"/helpdesk/akun/{pns_user.id}/unlock", {"csrf_token": token})] * 2
    burst(calls)
    assert db.session.get(Registrasi, first.id).status == Registrasi.STATUS_DIRESET
    assert _audits("registration.reset", first.id) == 1
    assert not db.session.get(User, locked.id).active
    assert db.session.get(User, pns_user.id).locked_until is None


def test_two_staff_claim_and_resolve_one_ticket_at_once(live_server, world):
    db.session.rollback()
    tiket = ticket_service.create(
        db.session,
        kategori=Tiket.KATEGORI_BEDA_NAMA,
        nip=world["peg_a"].nip,
        nama="BUDI",
        detail="Tanggal lahir salah",
        email="budi@gmail.com",
    )
    people = [Person(live_server, "helpdesk"), Person(live_server, "admin")]
    calls = []
    for person in people:
        token = person.token(f"/tiket/{tiket.id}")
        calls += [(person, f"/tiket/{tiket.id}/ambil", {"csrf_token": token})] * 3
    burst(calls)
    assert db.session.get(Tiket, tiket.id).status == Tiket.STATUS_DIPROSES
    assert _audits("ticket.claimed", tiket.id) == 1
    calls = [
        (
            person,
            f"/tiket/{tiket.id}/selesai",
            {"csrf_token": person.token(f"/tiket/{tiket.id}"), "resolution": "Sudah dibetulkan"},
        )
        for person in people
        for _ in range(3)
    ]
    answers = burst(calls)
    assert db.session.get(Tiket, tiket.id).status == Tiket.STATUS_SELESAI
    assert _audits("ticket.resolved", tiket.id) == 1
    assert sum(a.says("Tiket ini sudah diselesaikan.") for a in answers) == 5


def test_marking_messages_read_from_many_tabs(live_server, world):
    pns_user = world["users"][ROLE_PNS]
    db.session.add_all(
        [Pesan(user_id=pns_user.id, kind="returned", subject=f"Pesan {n}", body="isi") for n in range(5)]
    )
    db.session.commit()
    pns = Person(live_server, "pns")
    token = pns.token("/pesan/")
    burst([(pns, "/pesan/baca", {"csrf_token": token})] * 8)
    assert count(Pesan, Pesan.user_id == pns_user.id, Pesan.read_at.is_(None)) == 0


# --------------------------------------------------------------------------------------------
# Races that go on beyond the retries: the message, the input kept, no 5xx
# --------------------------------------------------------------------------------------------
RELOAD = "Muat ulang halaman untuk melihat keadaan terbaru"


def _always_stale(*_args, **_kwargs):
    raise StaleDataError("UPDATE statement on table 'usulan' expected to update 1 row(s); 0 were matched.")


def test_a_proposal_that_keeps_losing_is_shown_again_as_typed_with_409(client, auth, world, monkeypatch):
    _draft(world)
    auth.login("pns")
    token = csrf_token(client, "/data-saya/data_utama")
    monkeypatch.setattr(workflow.drafts, "_lock_draft", _always_stale)
    answer = client.post("/data-saya/data_utama/usul", data={"csrf_token": token, "alamat": "Jl. Kaliurang KM 5"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert RELOAD in page
    assert 'value="Jl. Kaliurang KM 5"' in page or "Jl. Kaliurang KM 5</textarea>" in page
    assert count(UsulanItem) == 0


def test_a_decision_that_keeps_losing_says_so_on_the_page_it_came_from(client, auth, app, world, monkeypatch):
    pending = register_pns(app, world["peg_sub"], email="siti@gmail.com")
    auth.login("vinstansi")
    token = csrf_token(client, "/persetujuan/")
    monkeypatch.setattr(registration, "_locked", _always_stale)
    answer = client.post(
        f"/persetujuan/approve/{pending.id}",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/persetujuan/?q=x"},
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/persetujuan/?q=x")
    assert RELOAD in client.get("/persetujuan/").get_data(as_text=True)
    assert db.session.get(Registrasi, pending.id).status == Registrasi.STATUS_MENUNGGU
