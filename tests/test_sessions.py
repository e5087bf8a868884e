"""Login sessions (services.sessions): a new session at every login, idle and absolute
timeouts, and logout, password change, account disabled and registration reset ending every
session of the user, on every app host; cookie flags.

Every request runs in its own app context (the `login` fixture of test_access), so the
database is re-read after each request.
"""

import datetime as dt

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import utcnow
from app.models.audit import AuditLog
from app.models.registration import PasswordResetToken
from app.roles import ROLE_VERIFIKATOR_BKN
from app.models import User
from app.services import recovery, registration, sessions

from .helpers import PASSWORD, AuthActions, csrf_token, FreshContextClient, PNS_PASSWORD, approve_directly, register_pns
from .test_access import form_of
from .test_translations import compiled_catalogue, id_catalog  # noqa: F401 - fixtures

PROTECTED = "/users/userinfo/"  # every role may open his own account page


def english_client(app):
    app.test_client_class = FreshContextClient
    client = app.test_client()
    client.get("/lang/en")
    return client


def logged_in_client(app, username, password=PASSWORD):
    client = english_client(app)
    response = AuthActions(client).login(username, password)
    assert response.status_code == 302 and "/login/" not in response.headers["Location"], username
    return client


def is_logged_in(client) -> bool:
    return client.get(PROTECTED).status_code == 200


def login_page_after_refusal(client) -> str:
    """The page a refused session lands on: the login page, with the reason flashed."""
    response = client.get(PROTECTED)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def user_named(username) -> User:
    db.session.rollback()
    return db.session.scalar(select(User).where(User.username == username))


def events(name):
    db.session.rollback()
    return db.session.scalars(select(AuditLog).where(AuditLog.event == name).order_by(AuditLog.id)).all()


# --------------------------------------------------------------------------------------------
# Login: a new session
# --------------------------------------------------------------------------------------------
def test_login_throws_away_what_the_browser_brought_and_starts_a_new_session(app, world):
    client = english_client(app)
    client.get("/login/")
    # An attacker who planted a session cookie (fixation) planted these values with it.
    with client.session_transaction() as planted:
        planted["_pupns_sid"] = "chosen-by-the-attacker"
        planted["registrasi_id"] = 12345
        planted_token = planted.get("csrf_token")
    AuthActions(client).login("vskpd")
    with client.session_transaction() as now:
        assert now["_user_id"] == str(world["users"]["Verifikator SKPD"].id)
        assert now[sessions.SESSION_ID_KEY] != "chosen-by-the-attacker"
        assert "registrasi_id" not in now
        assert now.get("csrf_token") != planted_token or planted_token is None
        assert now["locale"] == "en"  # the chosen language is a preference, kept
    assert is_logged_in(client)


def test_two_logins_get_two_different_session_ids(app, world):
    ids = []
    for _ in range(2):
        client = logged_in_client(app, "vskpd")
        with client.session_transaction() as current:
            ids.append(current[sessions.SESSION_ID_KEY])
    assert ids[0] != ids[1]


def test_only_the_session_cookie_is_set_and_it_is_httponly_and_samesite(app, world):
    client = english_client(app)
    token = csrf_token(client, "/login/")
    response = client.post("/login/", data={"username": "vskpd", "password": PASSWORD, "csrf_token": token})
    cookies = response.headers.getlist("Set-Cookie")
    assert [c.split("=", 1)[0] for c in cookies] == ["session"]  # no remember-me cookie
    flags = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # development and tests run on plain http
    assert not any(part.startswith(("expires", "max-age")) for part in flags)  # ends with the browser


def test_production_cookies_are_secure(app_factory, world):
    production = app_factory(
        ENV_NAME="production",
        SECRET_KEY="a-long-random-production-secret-0123456789",
        TRUSTED_HOSTS=["localhost"],
        RATELIMIT_ENABLED=False,
    )
    client = production.test_client()
    token = csrf_token(client, "/login/")
    response = client.post("/login/", data={"username": "vskpd", "password": PASSWORD, "csrf_token": token})
    flags = [part.strip().lower() for part in response.headers["Set-Cookie"].split(";")]
    assert {"secure", "httponly", "samesite=lax"} <= set(flags)
    assert production.config["REMEMBER_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_HTTPONLY"]


# --------------------------------------------------------------------------------------------
# Timeouts
# --------------------------------------------------------------------------------------------
def test_idle_session_ends_after_the_idle_timeout(app, world, monkeypatch):
    start = sessions.now()
    monkeypatch.setattr(sessions, "now", lambda: start)
    client = logged_in_client(app, "vskpd")
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    # Activity keeps it alive: a request every (timeout - 1 minute), three times over.
    for step in range(1, 4):
        monkeypatch.setattr(sessions, "now", lambda step=step: start + step * (idle - 60))
        assert is_logged_in(client), step
    # Then a pause one second longer than the timeout.
    monkeypatch.setattr(sessions, "now", lambda: start + 3 * (idle - 60) + idle + 1)
    page = login_page_after_refusal(client)
    assert "logged out after 30 minutes without activity" in page
    with client.session_transaction() as current:
        assert "_user_id" not in current
    # Logging in again works at once.
    AuthActions(client).login("vskpd")
    assert is_logged_in(client)


def test_session_ends_at_its_maximum_age_even_when_active(app, world, monkeypatch):
    start = sessions.now()
    monkeypatch.setattr(sessions, "now", lambda: start)
    client = logged_in_client(app, "vskpd")
    max_age = app.config["SESSION_MAX_HOURS"] * 3600
    step = app.config["SESSION_IDLE_MINUTES"] * 60 - 60
    moment = start
    while moment + step <= start + max_age:
        moment += step
        monkeypatch.setattr(sessions, "now", lambda moment=moment: moment)
        assert is_logged_in(client)
    monkeypatch.setattr(sessions, "now", lambda: start + max_age + 1)
    assert "maximum length of 12 hours" in login_page_after_refusal(client)


def test_timeouts_come_from_the_configuration(app_factory, world, monkeypatch):
    short = app_factory(SESSION_IDLE_MINUTES=5)
    start = sessions.now()
    monkeypatch.setattr(sessions, "now", lambda: start)
    client = logged_in_client(short, "vskpd")
    monkeypatch.setattr(sessions, "now", lambda: start + 5 * 60 + 1)
    assert "logged out after 5 minutes without activity" in login_page_after_refusal(client)


def test_a_session_without_a_version_is_not_accepted(app, world):
    """A cookie made before session versions existed (or forged with only a user id, were
    the secret ever known) does not log anyone in."""
    client = logged_in_client(app, "vskpd")
    with client.session_transaction() as current:
        del current[sessions.VERSION_KEY]
    assert not is_logged_in(client)


# --------------------------------------------------------------------------------------------
# Ending every session of a user
# --------------------------------------------------------------------------------------------
def test_logout_ends_every_session_of_the_user(app, world):
    laptop, phone = logged_in_client(app, "vskpd"), logged_in_client(app, "vskpd")
    other_user = logged_in_client(app, "vinstansi")
    assert is_logged_in(laptop) and is_logged_in(phone)
    AuthActions(laptop).logout()
    assert not is_logged_in(laptop)
    assert "Your session has ended" in login_page_after_refusal(phone)
    assert is_logged_in(other_user)  # only that user's sessions
    (entry,) = events("logout")
    assert entry.actor_name == "vskpd" and entry.ip == "127.0.0.1"
    # A copy of the old cookie is worthless too.
    assert AuthActions(laptop).login("vskpd").status_code == 302 and is_logged_in(laptop)


def test_a_copied_cookie_is_dead_after_logout(app, world):
    """What a thief copied from the browser before the user logged out no longer works."""
    client = logged_in_client(app, "vskpd")
    stolen = client.get_cookie("session").value
    AuthActions(client).logout()
    thief = english_client(app)
    thief.set_cookie("session", stolen)
    assert not is_logged_in(thief)


def test_changing_ones_own_password_ends_the_other_sessions_but_not_this_one(app, world):
    desk, elsewhere = logged_in_client(app, "vskpd"), logged_in_client(app, "vskpd")
    token = csrf_token(desk, "/resetmypassword/form")
    new_password = "Teh-Manis-Bantul-77"
    response = desk.post(
        "/resetmypassword/form",
        data={
            "current_password": PASSWORD,
            "password": new_password,
            "conf_password": new_password,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert is_logged_in(desk)
    assert not is_logged_in(elsewhere)
    (entry,) = events("password.changed")
    assert (entry.actor_name, entry.detail) == ("vskpd", "by self")
    assert logged_in_client(app, "vskpd", new_password)


def test_admin_resetting_a_password_ends_the_users_sessions(app, world):
    victim = logged_in_client(app, "vskpd")
    admin = logged_in_client(app, "admin")
    user_id = world["users"]["Verifikator SKPD"].id
    url = f"/resetpassword/form?pk={user_id}"
    token = csrf_token(admin, url)
    response = admin.post(
        url, data={"password": "Kopi-Jahe-Kulon-55", "conf_password": "Kopi-Jahe-Kulon-55", "csrf_token": token}
    )
    assert response.status_code == 302
    assert not is_logged_in(victim)
    assert is_logged_in(admin)
    (entry,) = events("password.changed")
    assert (entry.actor_name, entry.target_id, entry.detail) == ("admin", str(user_id), "by admin")


def test_password_reset_by_mail_link_ends_every_session(app, world):
    """Reset links exist for PNS accounts only (staff passwords are reset by Admin)."""
    client = logged_in_client(app, "pns")
    user = user_named("pns")
    token, now = "a-reset-token-from-the-mail-link-0123456789", utcnow()
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=recovery.token_hash(token),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=10),
        )
    )
    db.session.commit()
    recovery.reset_password(db.session, token, "Wedang-Ronde-Solo-31")
    assert not is_logged_in(client)


def test_disabling_an_account_in_the_admin_form_ends_its_sessions(app, world):
    victim = logged_in_client(app, "vbkn")
    admin = logged_in_client(app, "admin")
    user_id = world["users"][ROLE_VERIFIKATOR_BKN].id
    form = form_of(admin, f"/users/edit/{user_id}")
    form.pop("active", None)  # the box unticked
    response = admin.post(f"/users/edit/{user_id}", data=form)
    assert response.status_code == 302
    assert user_named("vbkn").active is False
    assert not is_logged_in(victim)
    # Enabling the account again does not bring the old session back.
    form = form_of(admin, f"/users/edit/{user_id}")
    form["active"] = "y"
    admin.post(f"/users/edit/{user_id}", data=form)
    assert user_named("vbkn").active is True
    assert not is_logged_in(victim)
    assert logged_in_client(app, "vbkn")


def test_registration_reset_ends_the_pns_sessions(app, world, open_run):
    registrasi = register_pns(app, world["peg_a"])
    approve_directly(registrasi)
    pns = logged_in_client(app, world["peg_a"].nip, PNS_PASSWORD)
    helpdesk = user_named("helpdesk")
    registration.reset(db.session, helpdesk, db.session.merge(registrasi), "Salah orang mendaftar")
    assert not is_logged_in(pns)


def test_a_session_ended_on_one_host_is_ended_on_the_others(app_factory, world):
    """Hosts share only SECRET_KEY and the database: the version in the database decides."""
    host_a, host_b = app_factory(), app_factory()
    on_a = logged_in_client(host_a, "vskpd")
    cookie = on_a.get_cookie("session").value
    on_b = english_client(host_b)
    on_b.set_cookie("session", cookie)
    assert is_logged_in(on_b)  # the same session, read by another host
    second = logged_in_client(host_b, "vskpd")
    AuthActions(on_a).logout()
    assert not is_logged_in(on_b) and not is_logged_in(second)


@pytest.mark.parametrize("problem", [sessions.ENDED, sessions.IDLE, sessions.EXPIRED])
def test_the_reason_is_told_in_indonesian(app, problem, compiled_catalogue):  # noqa: F811
    with app.test_request_context(), force_locale("en"):
        english = str(sessions.MESSAGES[problem] % {"minutes": 30, "hours": 12})
    with app.test_request_context(), force_locale("id"):
        indonesian = str(sessions.MESSAGES[problem] % {"minutes": 30, "hours": 12})
    assert indonesian != english and "Silakan" in indonesian
