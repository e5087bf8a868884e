"""One real login per role at the production password cost.

The rest of the suite hashes at the cheapest argon2 cost (config.TestConfig); this file makes
sure nothing in the login path depends on that: every role's account, hashed as production
hashes it, logs in through the login form."""

import pytest

from app.extensions import db
from app.roles import ALL_ROLES
from config import Config
from tests.helpers import AuthActions, FreshContextClient
from tests.worlds import build_world

PRODUCTION_COST = {
    "PASSWORD_HASH_TIME_COST": Config.PASSWORD_HASH_TIME_COST,
    "PASSWORD_HASH_MEMORY_KIB": Config.PASSWORD_HASH_MEMORY_KIB,
}


@pytest.fixture
def costly_world(app_factory):
    application = app_factory(**PRODUCTION_COST)
    with application.app_context():
        yield application, build_world(db.session, application)


def _client(application):
    # Each request in its own app context: one login's `g.user` does not leak into the next.
    return FreshContextClient(application, application.response_class, use_cookies=True)


def test_every_role_logs_in_with_a_production_cost_hash(costly_world):
    application, world = costly_world
    assert set(world["users"]) >= set(ALL_ROLES)
    for role in ALL_ROLES:
        user = world["users"][role]
        assert f"$m={Config.PASSWORD_HASH_MEMORY_KIB},t={Config.PASSWORD_HASH_TIME_COST}," in user.password
        response = AuthActions(_client(application)).login(user.username)
        assert response.status_code == 302, role
        assert "/login" not in response.headers["Location"], role
        wrong = AuthActions(_client(application)).login(user.username, "Salah-Sandi-2015")
        assert wrong.status_code != 302 or "/login" in wrong.headers["Location"], role
