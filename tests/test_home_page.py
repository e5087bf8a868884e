"""After login everyone lands where he works, not on the public landing page (FAB sends every
login to "/"): views.public.home_url."""

import pytest

from app.roles import ROLE_INTEGRASI

from .helpers import make_user

HOMES = {
    "pns": "/data-saya/",
    "vskpd": "/verifikasi/",
    "vinstansi": "/verifikasi/",
    "vbkn": "/verifikasi/",
    "helpdesk": "/tiket/",
    "monitor": "/monitoring/",
    "admin": "/monitoring/",
}


@pytest.mark.parametrize("username", sorted(HOMES))
def test_login_lands_on_the_users_own_work(world, client, auth, username):
    landed = auth.login(username)
    assert landed.status_code == 302
    home = client.get(landed.headers["Location"])
    assert home.status_code == 302 and home.headers["Location"] == HOMES[username]
    assert client.get(HOMES[username]).status_code == 200


def test_anonymous_and_screenless_accounts_see_the_landing_page(app, world, client, auth):
    assert "pupns-actions" in client.get("/").get_data(as_text=True)
    make_user(app, "sync_bot", ROLE_INTEGRASI)
    auth.login("sync_bot")
    page = client.get("/")
    assert page.status_code == 200 and "pupns-actions" in page.get_data(as_text=True)
