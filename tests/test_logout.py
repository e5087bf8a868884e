"""Logout changes state, so it is a POST with the session's CSRF token (SECURITY.md
"State-changing GETs"): a link or an image on another site cannot end a user's sessions."""

import re

from .helpers import csrf_token
from .test_sessions import is_logged_in


def test_get_logout_asks_and_does_not_end_the_session(world, login):  # noqa: F811
    client = login("vskpd")
    page = client.get("/logout/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<form method="post" action="/logout/">', html)
    assert is_logged_in(client)


def test_post_logout_without_a_valid_token_is_refused(world, login):  # noqa: F811
    client = login("vskpd")
    assert client.post("/logout/").status_code == 400
    assert client.post("/logout/", data={"csrf_token": "forged"}).status_code == 400
    assert is_logged_in(client)


def test_post_logout_with_the_token_ends_the_session(world, login):  # noqa: F811
    client = login("vskpd")
    response = client.post("/logout/", data={"csrf_token": csrf_token(client, "/logout/")})
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_the_menu_logs_out_with_a_form(world, login):  # noqa: F811
    client = login("vskpd")
    html = client.get("/users/userinfo/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout/" class="pupns-logout-form">(.*?)</form>', html, re.S)
    assert form, "the user menu has a logout form"
    assert 'name="csrf_token"' in form.group(1)
    assert 'href="/logout/"' not in html


def test_an_anonymous_visitor_of_logout_goes_home(world, login):  # noqa: F811
    response = login(None).get("/logout/")
    assert response.status_code == 302
