"""JWTs of FAB's JSON login die with the account's session version (services.sessions):
an access or refresh token is refused (401) after a password change, an admin reset, the
account being disabled, or a logout; and both are short-lived (config)."""

import datetime as dt

import pytest

from app.extensions import db
from app.models.user import User
from app.roles import ROLE_ADMIN
from app.services import accounts

from .helpers import PASSWORD, AuthActions, FreshContextClient

NEW_PASSWORD = "Gudeg-Wijilan-Manis-77"


@pytest.fixture
def tokens(app, world):
    """An access and a refresh token of Admin from the JSON login, and a fresh client."""
    app.test_client_class = FreshContextClient
    client = app.test_client()
    response = client.post(
        "/api/v1/security/login", json={"username": "admin", "password": PASSWORD, "provider": "db", "refresh": True}
    )
    assert response.status_code == 200
    body = response.get_json()
    return {"client": client, "access": body["access_token"], "refresh": body["refresh_token"]}


def use(tokens):
    """(status of an API read with the access token, status of a refresh with the refresh one)."""
    client = tokens["client"]
    read = client.get("/api/v1/pegawai/", headers={"Authorization": f"Bearer {tokens['access']}"})
    refresh = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {tokens['refresh']}"})
    return read.status_code, refresh.status_code


def _own_password_change(app, world):
    admin = db.session.get(User, world["users"][ROLE_ADMIN].id)
    accounts.change_password(db.session, admin, admin, NEW_PASSWORD)


def _admin_reset(app, world):
    # A second Admin resets the first one's password.
    from .helpers import make_user

    other = make_user(app, "admin2", ROLE_ADMIN)
    accounts.change_password(db.session, other, db.session.get(User, world["users"][ROLE_ADMIN].id), NEW_PASSWORD)


def _disabled(app, world):
    db.session.get(User, world["users"][ROLE_ADMIN].id).active = False
    db.session.commit()


def _browser_logout(app, world):
    browser = app.test_client()
    auth = AuthActions(browser)
    assert auth.login("admin").status_code == 302
    auth.logout()


def test_tokens_work_and_are_short_lived(app, tokens):
    assert use(tokens) == (200, 200)
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] <= dt.timedelta(minutes=15)
    assert app.config["JWT_REFRESH_TOKEN_EXPIRES"] <= dt.timedelta(hours=12)


@pytest.mark.parametrize(
    "event",
    [_own_password_change, _admin_reset, _disabled, _browser_logout],
    ids=["password-change", "admin-reset", "disabled", "logout"],
)
def test_access_and_refresh_tokens_are_refused_after(app, world, tokens, event):
    assert use(tokens) == (200, 200)
    event(app, world)
    db.session.rollback()
    assert use(tokens) == (401, 401)


def test_a_refreshed_token_dies_with_the_session_version_too(app, world, tokens):
    response = tokens["client"].post(
        "/api/v1/security/refresh", headers={"Authorization": f"Bearer {tokens['refresh']}"}
    )
    fresh_access = response.get_json()["access_token"]
    _own_password_change(app, world)
    read = tokens["client"].get("/api/v1/pegawai/", headers={"Authorization": f"Bearer {fresh_access}"})
    assert read.status_code == 401
