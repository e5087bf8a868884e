"""The login page: NIP, nomor registrasi or staff username + "Kata Kunci", lockout, unlock.

Every request runs in its own app context (as in production), so the tests re-read the
database after each request (`fresh`, `audit_events`).
"""

import datetime as dt
import re

import pytest
from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.models import utcnow
from app.models.audit import AuditLog
from app.models import User

from .helpers import (
    PASSWORD,
    csrf_token,
    FreshContextClient,
    fresh,
    post_login,
    logged_in,
    PNS_PASSWORD,
    approve_directly,
    register_pns,
)

# The compiled Indonesian catalogue (fixtures of the translation tests).
from .test_translations import compiled_catalogue, id_catalog  # noqa: F401

FAILED_TEXT = "Login failed: check the NIP"  # security.AuthDBView: every failed login


@pytest.fixture
def new_client(app):
    """new_client() -> an anonymous client whose requests get a fresh app context each,
    showing the English texts (the assertions read messages)."""
    app.test_client_class = FreshContextClient

    def make(lang="en"):
        client = app.test_client()
        client.get(f"/lang/{lang}")
        return client

    return make


def login_as(new_client, username, password=None):
    """A client logged in as a staff user of the `world` fixture."""
    client = new_client()
    assert logged_in(post_login(client, username, password or PASSWORD)), username
    return client


def audit_events(*events, target=None):
    db.session.rollback()
    stmt = select(AuditLog.event).where(AuditLog.event.in_(events)).order_by(AuditLog.id)
    if target is not None:
        stmt = stmt.where(AuditLog.target_type == type(target).__name__, AuditLog.target_id == str(target.id))
    return list(db.session.scalars(stmt))


def page_after(client, response) -> str:
    """The page the browser shows after a login POST (the flashed messages on it)."""
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.fixture
def approved(app, world):
    """BUDI SANTOSO (instansi A) registered and approved: (registrasi id, nomor, user id)."""
    registrasi = register_pns(app, world["peg_a"])
    approve_directly(registrasi)
    return registrasi.id, registrasi.nomor, registrasi.user_id


# --- the page -------------------------------------------------------------------------------


def test_login_page_reads_nip_or_nomor_and_kata_kunci(new_client, compiled_catalogue):
    client = new_client("id")
    html = client.get("/login/").get_data(as_text=True)
    assert "NIP atau Nomor Registrasi" in html
    assert "Kata Kunci" in html
    # FAB's form is kept: its fields and the CSRF token.
    assert 'name="username"' in html and 'name="password"' in html
    assert re.search(r'name="csrf_token"[^>]*value="[^"]+"', html)


def test_login_page_links_to_recovery_status_and_registration_when_they_exist(app, new_client):
    html = new_client().get("/login/").get_data(as_text=True)
    expected = {
        "StatusView.forgot_password": "Forgot your password?",
        "StatusView.index": "Check status",
        "RegistrationView.index": "Sign up",
    }
    for endpoint, text in expected.items():
        if endpoint in app.view_functions:
            with app.test_request_context():
                url = url_for(endpoint)
            assert f'href="{url}"' in html and text in html, endpoint
        else:
            assert text not in html, endpoint


# --- who can log in -------------------------------------------------------------------------


def test_login_with_nip(new_client, approved, world):
    client = new_client()
    assert logged_in(post_login(client, world["peg_a"].nip, PNS_PASSWORD))
    assert client.get("/users/userinfo/").status_code == 200


@pytest.mark.parametrize("shape", ["dashed-lowercase", "plain"])
def test_login_with_nomor_registrasi(new_client, approved, shape):
    _id, nomor, _user = approved
    typed = "-".join(nomor[i : i + 4] for i in range(0, 12, 4)).lower() if shape != "plain" else nomor
    assert logged_in(post_login(new_client(), typed, PNS_PASSWORD))


def test_staff_log_in_with_their_username(new_client, world):
    assert logged_in(post_login(new_client(), "vinstansi", PASSWORD))
    assert logged_in(post_login(new_client(), "HelpDesk", PASSWORD))


def test_pending_registration_cannot_log_in(app, new_client, world):
    registrasi = register_pns(app, world["peg_a"])
    client = new_client()
    response = post_login(client, world["peg_a"].nip, PNS_PASSWORD)
    assert not logged_in(response)
    assert FAILED_TEXT in page_after(client, response)
    assert not logged_in(post_login(new_client(), registrasi.nomor, PNS_PASSWORD))


def test_wrong_password_is_refused(new_client, approved, world):
    client = new_client()
    response = post_login(client, world["peg_a"].nip, "Salah-Sekali-99")
    assert not logged_in(response)
    assert client.get("/users/userinfo/").status_code == 302


# --- lockout --------------------------------------------------------------------------------


def fail_five_times(new_client, identifier):
    for _ in range(5):
        assert not logged_in(post_login(new_client(), identifier, "Salah-Sekali-99"))


def test_five_wrong_passwords_make_the_account_wait_a_minute(new_client, approved, world):
    _id, _nomor, user_id = approved
    nip = world["peg_a"].nip
    fail_five_times(new_client, nip)
    user = fresh(User, user_id)
    assert user.locked_until is not None
    assert dt.timedelta(seconds=50) < user.locked_until - utcnow() <= dt.timedelta(minutes=1)

    # The right password is refused while the account waits, with the very answer a wrong
    # password gets: the page does not tell a stranger that this account exists or waits.
    client = new_client()
    response = post_login(client, nip, PNS_PASSWORD)
    assert not logged_in(response)
    waiting_page = page_after(client, response)
    assert FAILED_TEXT in waiting_page and "locked" not in waiting_page.lower()
    # Also through the nomor registrasi: the wait is on the account, not on the identifier.
    assert not logged_in(post_login(new_client(), approved[1], PNS_PASSWORD))

    assert audit_events("login.failure", "login.lockout", target=user) == ["login.failure"] * 5 + ["login.lockout"]
    assert audit_events("login.throttled", target=user) == ["login.throttled"] * 2


def test_a_waiting_account_answers_like_a_wrong_password_and_an_unknown_nip(new_client, approved, world):
    """Issue 13, finding 10: the "locked" answer came only for real accounts (an oracle)."""
    nip = world["peg_a"].nip
    fail_five_times(new_client, nip)
    pages = []
    for identifier, password in (
        (nip, PNS_PASSWORD),
        (nip, "Salah-Sekali-99"),
        ("199001012015011999", "Salah-Sekali-99"),
    ):
        client = new_client()
        response = post_login(client, identifier, password)
        assert not logged_in(response)
        pages.append(_without_tokens(page_after(client, response)))
    assert pages[0] == pages[1] == pages[2]
    assert FAILED_TEXT in pages[0]


def test_the_wait_grows_to_fifteen_minutes_and_no_longer(new_client, approved, world):
    _id, _nomor, user_id = approved
    nip = world["peg_a"].nip
    fail_five_times(new_client, nip)
    waits = []
    for _ in range(6):
        user = fresh(User, user_id)
        user.locked_until = utcnow() - dt.timedelta(seconds=1)  # the wait has run out
        db.session.commit()
        assert not logged_in(post_login(new_client(), nip, "Salah-Sekali-99"))
        user = fresh(User, user_id)
        waits.append(round((user.locked_until - utcnow()).total_seconds() / 60))
    # One more try after each wait, each wait twice as long, never above 15 minutes (not the
    # hours an attacker could once shut a PNS out for with a handful of requests).
    assert waits == [2, 4, 8, 15, 15, 15]
    assert user.lockout_count == 7


def test_the_account_logs_in_once_the_wait_is_over(new_client, approved, world):
    _id, _nomor, user_id = approved
    fail_five_times(new_client, world["peg_a"].nip)
    user = fresh(User, user_id)
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()

    assert logged_in(post_login(new_client(), world["peg_a"].nip, PNS_PASSWORD))
    user = fresh(User, user_id)
    assert user.locked_until is None and user.fail_login_count == 0


def test_helpdesk_unlocks_a_locked_account(new_client, approved, world):
    _id, _nomor, user_id = approved
    nip = world["peg_a"].nip
    fail_five_times(new_client, nip)
    assert not logged_in(post_login(new_client(), nip, PNS_PASSWORD))

    helpdesk = login_as(new_client, "helpdesk")
    page = helpdesk.get(f"/helpdesk/registrasi/?q={nip}").get_data(as_text=True)
    assert "Unlock account" in page
    token = csrf_token(helpdesk, f"/helpdesk/registrasi/?q={nip}")
    response = helpdesk.post(f"/helpdesk/akun/{user_id}/unlock", data={"csrf_token": token})
    assert response.status_code == 302
    assert "unlocked" in page_after(helpdesk, response)

    user = fresh(User, user_id)
    assert user.locked_until is None
    assert logged_in(post_login(new_client(), nip, PNS_PASSWORD))


def test_every_login_outcome_is_audited(new_client, approved, world):
    _id, _nomor, user_id = approved
    nip = world["peg_a"].nip
    assert logged_in(post_login(new_client(), nip, PNS_PASSWORD))
    fail_five_times(new_client, nip)
    helpdesk = login_as(new_client, "helpdesk")
    token = csrf_token(helpdesk, f"/helpdesk/registrasi/?q={nip}")
    helpdesk.post(f"/helpdesk/akun/{user_id}/unlock", data={"csrf_token": token})

    user = fresh(User, user_id)
    events = audit_events("login.success", "login.failure", "login.lockout", "account.unlock", target=user)
    assert events == (["login.success"] + ["login.failure"] * 5 + ["login.lockout", "account.unlock"])
    unlock = db.session.scalar(select(AuditLog).where(AuditLog.event == "account.unlock"))
    assert unlock.actor_name == "helpdesk" and unlock.ip == "127.0.0.1"
    # An unknown NIP leaves a failure row too (without an account to point at).
    post_login(new_client(), "199001012015011999", "Salah-Sekali-99")
    assert audit_events("login.failure")[-1:] == ["login.failure"]
    last = db.session.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert last.target_id is None and "Salah-Sekali-99" not in (last.detail or "")


# --- no account enumeration -----------------------------------------------------------------


def _without_tokens(html: str) -> str:
    # CSRF tokens and the per-response CSP nonce differ on every page.
    return re.sub(r'(value|nonce)="[^"]{20,}"', r'\1="TOKEN"', html)


def test_unknown_and_known_nip_get_the_same_answer(new_client, approved, world):
    known, unknown = new_client(), new_client()
    r_known = post_login(known, world["peg_a"].nip, "Salah-Sekali-99")
    r_unknown = post_login(unknown, "199001012015011999", "Salah-Sekali-99")
    assert (r_known.status_code, r_known.headers["Location"]) == (r_unknown.status_code, r_unknown.headers["Location"])
    assert r_known.get_data() == r_unknown.get_data()
    assert _without_tokens(page_after(known, r_known)) == _without_tokens(page_after(unknown, r_unknown))


# --- rate limit -----------------------------------------------------------------------------


def test_login_posts_are_rate_limited_per_ip(app_factory):
    limited = app_factory(RATELIMIT_ENABLED=True)
    limited.test_client_class = FreshContextClient
    client = limited.test_client()
    token = csrf_token(client, "/login/")
    statuses = [
        client.post(
            "/login/", data={"username": f"1990010120150110{i:02d}", "password": "x" * 9, "csrf_token": token}
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429
    # Reading the page is not limited.
    assert client.get("/login/").status_code == 200
