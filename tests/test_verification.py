"""The verification inbox and page: who sees what, return / verify through the screens,
stale pages and CSRF."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.submission import Usulan, UsulanEvent
from app.roles import ROLE_PNS
from app.services import workflow

from .helpers import csrf_token

# The run is open today (Jadwal pengisian): the workflow refuses everything outside it.
pytestmark = pytest.mark.usefixtures("open_run")


def _submit(world):
    """peg_a proposes a new phone number, reviews every section and sends (as the PNS)."""
    peg = world["peg_a"]
    usulan = workflow.open_draft(db.session, peg)
    workflow.propose(db.session, usulan, "data_utama", "change", {"no_hp": "0812 3456 7890"})
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    return usulan.id


def _usulan(pk):
    db.session.expire_all()
    return db.session.get(Usulan, pk)


def _events(pk):
    return db.session.scalar(select(func.count()).select_from(UsulanEvent).where(UsulanEvent.usulan_id == pk))


def _version_on_page(html):
    return int(re.search(r'name="version"[^>]*value="(\d+)"', html).group(1))


def _act(client, pk, action, reason="", version=None, token=None):
    url = f"/verifikasi/{pk}"
    page = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": token or csrf_token(client, url),
        "action": action,
        "reason": reason,
        "version": version if version is not None else _version_on_page(page),
    }
    return client.post(f"/verifikasi/{pk}/act", data=data, follow_redirects=True)


@pytest.fixture
def submitted(world):
    return _submit(world)


def test_skpd_returns_with_reason_then_verifies_and_instansi_sees_it(client, auth, world, submitted):
    pk = submitted
    auth.login("vskpd")
    inbox = client.get("/verifikasi/").get_data(as_text=True)
    assert "BUDI SANTOSO" in inbox
    page = client.get(f"/verifikasi/{pk}").get_data(as_text=True)
    assert "0812 3456 7890" in page  # the proposed value next to the official one
    assert "Verifikasi" in page and "Kembalikan" in page  # the actions of an SKPD verifier

    refused = _act(client, pk, workflow.KEMBALIKAN, reason="")
    assert _usulan(pk).status == Usulan.DI_SKPD
    assert "Alasan wajib diisi." in refused.get_data(as_text=True)
    assert _events(pk) == 1

    _act(client, pk, workflow.KEMBALIKAN, reason="Nomor HP tidak jelas")
    assert _usulan(pk).status == Usulan.DRAFT
    auth.logout()

    # vinstansi does not see it yet (it is at SKPD, then back in draft).
    auth.login("vinstansi")
    assert "BUDI SANTOSO" not in client.get("/verifikasi/").get_data(as_text=True)
    auth.logout()

    usulan = _usulan(pk)
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], pk, workflow.KIRIM)

    auth.login("vskpd")
    done = _act(client, pk, workflow.VERIFIKASI)
    assert _usulan(pk).status == Usulan.DI_INSTANSI
    assert "BUDI SANTOSO" not in done.get_data(as_text=True)  # back on an empty inbox
    auth.logout()

    auth.login("vinstansi")
    assert "BUDI SANTOSO" in client.get("/verifikasi/").get_data(as_text=True)
    assert client.get(f"/verifikasi/{pk}").status_code == 200
    auth.logout()

    auth.login("vinstansi_b")
    assert "BUDI SANTOSO" not in client.get("/verifikasi/").get_data(as_text=True)
    assert client.get(f"/verifikasi/{pk}").status_code == 404


def test_instansi_does_not_see_what_waits_at_skpd(client, auth, world, submitted):
    auth.login("vinstansi")
    assert "BUDI SANTOSO" not in client.get("/verifikasi/").get_data(as_text=True)


def test_inbox_filters(client, auth, world, submitted):
    auth.login("vskpd")
    assert "BUDI SANTOSO" in client.get("/verifikasi/?nama=budi&section=data_utama").get_data(as_text=True)
    assert "BUDI SANTOSO" not in client.get("/verifikasi/?nama=siti").get_data(as_text=True)
    assert "BUDI SANTOSO" not in client.get("/verifikasi/?section=anak").get_data(as_text=True)
    assert client.get("/verifikasi/?per_page=100000&sort=bogus&from=x").status_code == 200


def test_stale_page_says_already_handled_and_makes_no_second_transition(client, auth, world, submitted):
    pk = submitted
    auth.login("vskpd")
    seen = _version_on_page(client.get(f"/verifikasi/{pk}").get_data(as_text=True))
    token = csrf_token(client, f"/verifikasi/{pk}")  # a second tab still showing the old page
    _act(client, pk, workflow.VERIFIKASI, version=seen)
    assert _usulan(pk).status == Usulan.DI_INSTANSI
    assert _events(pk) == 2
    again = _act(client, pk, workflow.KEMBALIKAN, reason="Terlambat", version=seen, token=token)
    assert "sudah ditangani oleh pengguna lain" in again.get_data(as_text=True)
    assert _usulan(pk).status == Usulan.DI_INSTANSI
    assert _events(pk) == 2


def test_item_marked_not_matching_blocks_verify(client, auth, world, submitted):
    pk = submitted
    auth.login("vskpd")
    item_id = _usulan(pk).items[0].id
    url = f"/verifikasi/{pk}"
    client.post(
        f"{url}/verdict",
        data={
            "csrf_token": csrf_token(client, url),
            "item_id": item_id,
            "verdict": "tidak_sesuai",
            "reason_code": "BTS",
            "note": "buram",
        },
    )
    page = client.get(url).get_data(as_text=True)
    assert "buram" in page
    _act(client, pk, workflow.VERIFIKASI)
    assert _usulan(pk).status == Usulan.DI_SKPD


@pytest.mark.parametrize("username", ["monitor", "pns"])
def test_monitor_and_pns_cannot_open_the_inbox(client, auth, world, submitted, username):
    auth.login(username)
    for url in ("/verifikasi/", f"/verifikasi/{submitted}"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert "BUDI SANTOSO" not in client.get(url, follow_redirects=True).get_data(as_text=True)


def test_post_without_csrf_is_refused(client, auth, world, submitted):
    pk = submitted
    auth.login("vskpd")
    response = client.post(
        f"/verifikasi/{pk}/act", data={"action": workflow.VERIFIKASI, "version": _usulan(pk).version}
    )
    assert response.status_code == 400
    assert _usulan(pk).status == Usulan.DI_SKPD


def test_helpdesk_lowers_the_status_with_a_reason(client, auth, world, submitted):
    pk = submitted
    auth.login("helpdesk")
    page = client.get(f"/verifikasi/{pk}").get_data(as_text=True)
    assert "Turun Status" in page and "Kembalikan" not in page
    _act(client, pk, workflow.TURUN_STATUS, reason="")
    assert _usulan(pk).status == Usulan.DI_SKPD
    _act(client, pk, workflow.TURUN_STATUS, reason="Salah kirim, diminta PNS")
    assert _usulan(pk).status == Usulan.DRAFT
    assert _events(pk) == 2


def test_every_decision_is_in_the_audit_log_with_who_and_why(client, auth, world, submitted):
    from app.models.audit import AuditLog

    pk = submitted
    auth.login("vskpd")
    _act(client, pk, workflow.KEMBALIKAN, reason="Nomor HP tidak jelas")
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditLog).where(AuditLog.target_type == "Usulan", AuditLog.target_id == str(pk)).order_by(AuditLog.id)
    ).all()
    assert [(r.event, r.actor_name) for r in rows] == [("usulan.kirim", "pns"), ("usulan.kembalikan", "vskpd")]
    assert rows[-1].detail == "di_skpd -> draft: Nomor HP tidak jelas"
    assert rows[-1].ip == "127.0.0.1"
