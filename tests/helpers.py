"""Plain helpers shared by the test modules (no fixtures: those live in conftest.py).

Import them from here, never from conftest: pytest loads conftest itself, and a test module
importing it as a module is the second copy pytest's docs warn about."""

import datetime as dt
import re

from app.extensions import db
from app.roles import ROLE_PNS

PASSWORD = "Rahasia-Kuat-2015"


def csrf_token(client, url):
    """The CSRF token of the form at `url`, as a browser would submit it."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'id="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def logout(client):
    """Log out as the user menu does: POST /logout/ with the CSRF token of the session (taken
    from the page GET /logout/ shows)."""
    return client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username, password=PASSWORD):
        token = csrf_token(self.client, "/login/")
        return self.client.post("/login/", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        """The menu's logout: a POST with the session's CSRF token."""
        return logout(self.client)


def make_user(app, username, role_name, **scope):
    """Create an active user with one role and the given scope (instansi=…, unit_kerja=…).
    A PNS user given his Pegawai is that Pegawai's PNS account (as registration makes it)."""
    if role_name == ROLE_PNS and ("pegawai" in scope or "pegawai_id" in scope):
        scope.setdefault("is_pns_account", True)
    sm = app.appbuilder.sm
    role = sm.find_role(role_name)
    user = sm.add_user(username, username, "Test", f"{username}@test.go.id", role, password=PASSWORD)
    assert user, f"could not create {username}"
    for key, value in scope.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def set_phase(fase, start_offset, end_offset, **where):
    """A Jadwal row from today+start_offset to today+end_offset (national unless `where`)."""
    from app.models import Jadwal

    today = dt.date.today()
    row = Jadwal(
        fase=fase, mulai=today + dt.timedelta(days=start_offset), selesai=today + dt.timedelta(days=end_offset), **where
    )
    db.session.add(row)
    db.session.commit()
    return row
