"""Issue 13 (outside security test): account identity, throttling, single-use links, machine
accounts. Each test here failed on the code before its fix."""

import threading
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditLog
from app.models.registration import PasswordResetToken, Registrasi
from app.roles import ROLE_INTEGRASI, ROLE_MONITOR, ROLE_PNS
from app.models import User
from app.services import accounts, passwords, recovery, registration

from .factories import PegawaiFactory
from .helpers import (
    PASSWORD,
    FreshContextClient,
    csrf_token,
    fresh,
    logged_in,
    make_user,
    post_login,
    race,
    PNS_PASSWORD,
    register_pns,
)

NEW_PASSWORD = "Gudeg-Wijilan-Manis-77"


def approved_pns(application):
    """A new Pegawai with an approved registration (an active PNS account), committed."""
    pegawai = PegawaiFactory()
    db.session.commit()
    registrasi = register_pns(application, pegawai)
    registration.approve(db.session, make_user(application, "admin", "Admin"), [fresh(Registrasi, registrasi.id)])
    return pegawai, registrasi


def admin():
    return db.session.scalar(select(User).where(User.username == "admin"))


# --------------------------------------------------------------------------------------------
# Finding 2: a staff account linked to a Pegawai is not that Pegawai's PNS account
# --------------------------------------------------------------------------------------------
@pytest.fixture
def boss(app, world):
    """A Monitor (national export, dashboards) who is himself a PNS: AGUS SALIM."""
    app.test_client_class = FreshContextClient
    user = make_user(app, "kabid", ROLE_MONITOR, pegawai=world["peg_other"])
    return {"id": user.id, "hash": user.password, "pegawai": world["peg_other"]}


def staff_state(boss):
    user = fresh(User, boss["id"])
    return user.password, user.active, sorted(r.name for r in user.roles), user.session_version


def test_registering_the_nip_of_a_staff_member_makes_a_separate_pns_account(app, world, boss):
    before = staff_state(boss)
    registrasi = register_pns(app, boss["pegawai"])
    assert registrasi.user_id != boss["id"]
    pns = fresh(User, registrasi.user_id)
    assert pns.is_pns_account and [r.name for r in pns.roles] == [ROLE_PNS]
    assert (pns.username, pns.pegawai_id, pns.active) == (boss["pegawai"].nip, boss["pegawai"].id, False)
    # The staff account is exactly as it was: password, enabled, roles, sessions.
    assert staff_state(boss) == before

    registration.approve(db.session, admin(), [fresh(Registrasi, registrasi.id)])
    assert staff_state(boss) == before
    # Login by NIP or nomor registrasi is the PNS account, with the PNS role only; the staff
    # password does not open it, and the staff account still logs in by its username.
    for identifier in (boss["pegawai"].nip, registrasi.nomor):
        user = accounts.authenticate(db.session, identifier, PNS_PASSWORD)
        assert user.id == pns.id and [r.name for r in user.roles] == [ROLE_PNS]
        assert accounts.authenticate(db.session, identifier, PASSWORD) is None
    assert accounts.authenticate(db.session, "kabid", PASSWORD).id == boss["id"]
    assert accounts.authenticate(db.session, "kabid", PNS_PASSWORD) is None


def test_a_pns_logged_in_by_nip_gets_no_staff_screen(app, world, boss):
    registrasi = register_pns(app, boss["pegawai"])
    registration.approve(db.session, admin(), [fresh(Registrasi, registrasi.id)])
    client = app.test_client()
    assert logged_in(post_login(client, boss["pegawai"].nip, PNS_PASSWORD))
    assert client.get("/monitoring/").status_code in (302, 403)
    assert client.get("/data-saya/").status_code == 200
    staff = app.test_client()
    assert logged_in(post_login(staff, "kabid", PASSWORD))
    assert staff.get("/monitoring/").status_code == 200


def test_rejecting_or_resetting_the_registration_leaves_the_staff_account_alone(app, world, boss):
    before = staff_state(boss)
    first = register_pns(app, boss["pegawai"])
    registration.reject(db.session, admin(), fresh(Registrasi, first.id), "Data tidak cocok")
    second = register_pns(app, boss["pegawai"])
    assert second.user_id == first.user_id  # the PNS account is reused, never the staff one
    registration.approve(db.session, admin(), [fresh(Registrasi, second.id)])

    helpdesk = app.test_client()
    assert logged_in(post_login(helpdesk, "helpdesk", PASSWORD))
    url = f"/helpdesk/registrasi/{second.id}/reset"
    response = helpdesk.post(url, data={"reason": "Tiket 17: email salah", "csrf_token": csrf_token(helpdesk, url)})
    assert response.status_code == 302
    assert fresh(Registrasi, second.id).status == Registrasi.STATUS_DIRESET
    assert not fresh(User, first.user_id).active
    assert staff_state(boss) == before
    staff = app.test_client()
    assert logged_in(post_login(staff, "kabid", PASSWORD))


def test_helpdesk_sees_and_unlocks_only_the_pns_account(app, world, boss):
    registrasi = register_pns(app, boss["pegawai"])
    helpdesk = app.test_client()
    assert logged_in(post_login(helpdesk, "helpdesk", PASSWORD))
    page = helpdesk.get(f"/helpdesk/registrasi/?q={boss['pegawai'].nip}").get_data(as_text=True)
    assert "kabid" not in page
    token = csrf_token(helpdesk, f"/helpdesk/registrasi/{registrasi.id}/reset")
    assert helpdesk.post(f"/helpdesk/akun/{boss['id']}/unlock", data={"csrf_token": token}).status_code == 404
    assert helpdesk.post(f"/helpdesk/akun/{registrasi.user_id}/unlock", data={"csrf_token": token}).status_code == 302


def test_recovery_never_touches_the_staff_account(app, world, boss):
    before = staff_state(boss)
    registrasi = register_pns(app, boss["pegawai"])
    registration.approve(db.session, admin(), [fresh(Registrasi, registrasi.id)])
    links = []
    assert recovery.request_password_reset(
        db.session, boss["pegawai"].nip, registrasi.nomor, lambda token: links.append(token) or token
    )
    row = db.session.scalars(select(PasswordResetToken)).one()
    assert row.user_id == registrasi.user_id
    recovery.reset_password(db.session, links[0], NEW_PASSWORD)
    assert accounts.authenticate(db.session, boss["pegawai"].nip, NEW_PASSWORD).id == registrasi.user_id
    assert staff_state(boss) == before
    # A link made for a staff account (the old code mailed them) is no link at all.
    now = row.created_at
    db.session.add(
        PasswordResetToken(
            user_id=boss["id"],
            token_hash=recovery.token_hash("staff-link"),
            created_at=now,
            expires_at=now.replace(year=now.year + 1),
        )
    )
    db.session.commit()
    with pytest.raises(recovery.RecoveryRefused) as refused:
        recovery.reset_password(db.session, "staff-link", NEW_PASSWORD)
    assert refused.value.message == recovery.TOKEN_UNKNOWN_MESSAGE
    assert staff_state(boss) == before


def test_a_staff_account_with_a_nip_for_username_is_not_reached_by_that_nip(app, world):
    """Login by 18 digits is login by NIP: only ever the PNS account of that NIP."""
    pegawai = world["peg_sub"]
    make_user(app, pegawai.nip, ROLE_MONITOR)
    assert accounts.authenticate(db.session, pegawai.nip, PASSWORD) is None


def test_admin_cannot_give_the_pns_role_to_a_staff_account(app, world, boss):
    client = app.test_client()
    assert logged_in(post_login(client, "admin", PASSWORD))
    pns_role = app.appbuilder.sm.find_role(ROLE_PNS)
    monitor_role = app.appbuilder.sm.find_role(ROLE_MONITOR)
    url = f"/users/edit/{boss['id']}"
    client.post(
        url,
        data={
            "first_name": "kabid",
            "last_name": "Test",
            "username": "kabid",
            "active": "y",
            "email": "kabid@test.go.id",
            "roles": [str(pns_role.id), str(monitor_role.id)],
            "csrf_token": csrf_token(client, url),
        },
    )
    assert staff_state(boss)[2] == [ROLE_MONITOR]


# --------------------------------------------------------------------------------------------
# Findings 3 and 10: throttling holds under concurrency
# --------------------------------------------------------------------------------------------
def test_concurrent_wrong_passwords_check_at_most_five_hashes(app_factory, backend, monkeypatch):
    """16 (here 20) wrong passwords at once used to get ~40 hash checks before the lock."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises every writer; the race shows on PostgreSQL")
    application = app_factory()
    with application.app_context():
        pegawai, registrasi = approved_pns(application)
        nip, user_id = pegawai.nip, registrasi.user_id

    checks, lock = [], threading.Lock()
    real_verify = passwords.verify_password

    def counting_verify(stored_hash, password):
        with lock:
            checks.append(1)
        time.sleep(0.05)  # a production-cost hash: every request is in flight at once
        return real_verify(stored_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting_verify)
    attempts = 20
    results, errors = race(application, attempts, lambda _n: accounts.authenticate(db.session, nip, "Salah-Sekali-99"))
    assert errors == []
    assert results == [None] * attempts
    assert len(checks) <= accounts.MAX_FAILED_LOGINS, f"{len(checks)} passwords checked"
    with application.app_context():
        user = db.session.get(User, user_id)
        assert user.locked_until is not None
        # Even the right password now waits, with no hash checked.
        checks.clear()
        assert accounts.authenticate(db.session, nip, PNS_PASSWORD) is None
        assert checks == []
        throttled = db.session.scalars(select(AuditLog).where(AuditLog.event == "login.throttled")).all()
        assert len(throttled) == attempts - accounts.MAX_FAILED_LOGINS + 1


# --------------------------------------------------------------------------------------------
# Finding 15: a reset link works once, on PostgreSQL and on SQLite
# --------------------------------------------------------------------------------------------
def test_simultaneous_uses_of_one_reset_link_only_one_wins(app_factory, backend):
    application = app_factory()
    with application.app_context():
        pegawai, registrasi = approved_pns(application)
        links = []
        assert recovery.request_password_reset(
            db.session, pegawai.nip, registrasi.nomor, lambda token: links.append(token) or token
        )
        nip = pegawai.nip

    attempts = 10

    def attempt(n):
        try:
            recovery.reset_password(db.session, links[0], f"{NEW_PASSWORD}-{n}")
            return n
        except recovery.RecoveryRefused as refused:
            return "used" if refused.message is recovery.TOKEN_USED_MESSAGE else str(refused.message)

    results, errors = race(application, attempts, attempt)
    assert errors == []
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert [r for r in results if not isinstance(r, int)] == ["used"] * (attempts - 1)
    with application.app_context():
        assert accounts.authenticate(db.session, nip, f"{NEW_PASSWORD}-{winners[0]}") is not None
        resets = db.session.scalars(select(AuditLog).where(AuditLog.event == "password.reset")).all()
        assert len(resets) == 1


# --------------------------------------------------------------------------------------------
# Finding 16: machine accounts have API keys, not logins
# --------------------------------------------------------------------------------------------
def test_integrasi_accounts_cannot_log_in_by_password(app, world):
    app.test_client_class = FreshContextClient
    make_user(app, "api_bpjs", ROLE_INTEGRASI)
    client = app.test_client()
    client.get("/lang/en")
    refused = post_login(client, "api_bpjs", PASSWORD)
    assert not logged_in(refused)
    unknown = app.test_client()
    unknown.get("/lang/en")
    wrong = post_login(unknown, "nobody-here", PASSWORD)
    # The same answer as an unknown account.
    assert client.get(refused.headers["Location"]).get_data(as_text=True).count("Login failed") == 1
    assert unknown.get(wrong.headers["Location"]).get_data(as_text=True).count("Login failed") == 1
    jwt = app.test_client().post(
        "/api/v1/security/login", json={"username": "api_bpjs", "password": PASSWORD, "provider": "db"}
    )
    assert jwt.status_code == 401 and "access_token" not in (jwt.get_json() or {})
    # A staff account still gets its JWT.
    staff = app.test_client().post(
        "/api/v1/security/login", json={"username": "vinstansi", "password": PASSWORD, "provider": "db"}
    )
    assert staff.status_code == 200


def test_integrasi_accounts_keep_their_api_keys(app, world):
    from app.services import apikeys

    app.test_client_class = FreshContextClient
    user = make_user(app, "api_bpjs", ROLE_INTEGRASI)
    key = apikeys.create(db.session, user, "BPJS")[1]
    response = app.test_client().get("/api/v1/pegawai/", headers={"X-API-Key": key})
    assert response.status_code == 200


def test_simultaneous_answers_to_one_captcha_only_one_wins(app_factory):
    """The captcha follows the same single-use rule as reset links (guard, not a fix)."""
    from app.services import captcha

    application = app_factory(CAPTCHA_ENABLED=True)
    with application.test_request_context("/registrasi/"):
        challenge_id, answer = captcha.new_challenge()
    attempts = 10
    results, errors = race(application, attempts, lambda _n: captcha.consume(db.session, challenge_id, answer))
    assert errors == []
    assert sorted(results) == [False] * (attempts - 1) + [True]
