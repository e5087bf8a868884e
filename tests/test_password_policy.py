"""One password policy on every path that sets a password (SECURITY.md "Passwords"), and the
current password to change one's own: FAB's "Reset my password", Admin's "Reset Password"
and add-user forms, FAB's CLI (create-admin, create-user, reset-password), the security
manager's add_user, the reset link. (Registration: tests/test_registration.py.)"""

import html

import pytest
from flask_appbuilder.cli import fab
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditLog
from app.models.user import User
from app.roles import ROLE_ADMIN, ROLE_PNS, ROLE_VERIFIKATOR_SKPD
from app.services import accounts, passwords

from .helpers import PASSWORD, AuthActions, csrf_token
from .test_translations import compiled_catalogue, id_catalog  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("compiled_catalogue")

STRONG = "Gudeg-Wijilan-Manis-77"
TOO_SHORT = "The password must have at least 8 characters."
TOO_COMMON = "This password is too common; choose another."
HAS_NIP = "The password must not contain your NIP."
IS_USERNAME = "The password must not be the user name."


def t(msgid):
    """What an Indonesian user reads for `msgid`."""
    with force_locale("id"):
        return gettext(msgid)


def page(response):
    return html.unescape(response.get_data(as_text=True))


def stored_hash(username):
    db.session.rollback()
    return db.session.scalar(select(User.password).where(User.username == username))


def weak_cases(world):
    """(password, message) pairs every path refuses; the NIP one for the PNS of `world`."""
    return [("a", TOO_SHORT), ("12345678", TOO_COMMON), ("aaaaaaaaaa", TOO_COMMON), (f"x{world['peg_a'].nip}", HAS_NIP)]


# ------------------------------------------------------------------- the policy itself
@pytest.mark.parametrize(
    "password, username, refused",
    [
        ("admin2024!", "admin", True),
        ("ADMIN", "admin", True),
        ("Demo-Admin-2015!", "admin", False),
        ("Kopi-Tubruk-88", "vskpd", False),
    ],
)
def test_the_user_name_dressed_up_is_refused(password, username, refused):
    problems = passwords.password_problems(password, username=username)
    assert (str(IS_USERNAME) in map(str, problems)) is refused


# ----------------------------------------------------------------- own change (FAB's form)
def own_change(client, **data):
    token = csrf_token(client, "/resetmypassword/form")
    return client.post("/resetmypassword/form", data={"csrf_token": token, **data})


def test_own_change_needs_the_current_password(app, world, login):  # noqa: F811
    client = login("pns")
    before = stored_hash("pns")
    missing = own_change(client, password=STRONG, conf_password=STRONG)
    assert missing.status_code == 200 and t("Enter your current password.") in page(missing)
    wrong = own_change(client, current_password="Bukan-Kata-Kunci-1", password=STRONG, conf_password=STRONG)
    assert wrong.status_code == 200
    assert t("The current password is not correct. Type the password you log in with now.") in page(wrong)
    assert stored_hash("pns") == before
    assert db.session.scalar(select(AuditLog.event).where(AuditLog.event == "password.change_refused"))


def test_own_change_with_the_current_password_and_a_strong_one_is_accepted(app, world, login):  # noqa: F811
    client = login("pns")
    response = own_change(client, current_password=PASSWORD, password=STRONG, conf_password=STRONG)
    assert response.status_code == 302
    assert AuthActions(app.test_client()).login("pns", STRONG).headers["Location"] != "/login/"


def test_own_change_refuses_a_weak_new_password_at_the_field(app, world, login):  # noqa: F811
    client = login("pns")
    before = stored_hash("pns")
    for weak, message in weak_cases(world) + [("pns12345", IS_USERNAME)]:
        response = own_change(client, current_password=PASSWORD, password=weak, conf_password=weak)
        assert response.status_code == 200, weak
        assert t(message) in page(response), (weak, message)
    assert stored_hash("pns") == before


def test_guessing_the_current_password_locks_the_account(app, world, login):  # noqa: F811
    client = login("vskpd")
    for attempt in range(accounts.MAX_FAILED_LOGINS):
        own_change(client, current_password=f"Tebak-Tebakan-{attempt}", password=STRONG, conf_password=STRONG)
    # Locked: even the right current password is refused now, and so is a login.
    locked = own_change(client, current_password=PASSWORD, password=STRONG, conf_password=STRONG)
    assert locked.status_code == 200 and stored_hash("vskpd") != passwords.hash_password(STRONG)
    assert not passwords.verify_password(stored_hash("vskpd"), STRONG)
    db.session.rollback()
    assert db.session.scalar(select(User.locked_until).where(User.username == "vskpd")) is not None


# -------------------------------------------------------------------------- Admin's forms
def test_admin_reset_refuses_a_weak_password_at_the_field(app, world, login):  # noqa: F811
    admin = login("admin")
    pns = world["users"][ROLE_PNS]
    url = f"/resetpassword/form?pk={pns.id}"
    before = stored_hash("pns")
    for weak, message in weak_cases(world):
        response = admin.post(url, data={"password": weak, "conf_password": weak, "csrf_token": csrf_token(admin, url)})
        assert response.status_code == 200 and t(message) in page(response), (weak, message)
    assert stored_hash("pns") == before
    response = admin.post(url, data={"password": STRONG, "conf_password": STRONG, "csrf_token": csrf_token(admin, url)})
    assert response.status_code == 302 and passwords.verify_password(stored_hash("pns"), STRONG)


def test_admin_add_user_refuses_a_weak_password_and_hashes_with_argon2(app, world, login):  # noqa: F811
    admin = login("admin")
    role = app.appbuilder.sm.find_role(ROLE_VERIFIKATOR_SKPD)

    def add(username, password):
        return admin.post(
            "/users/add",
            data={
                "first_name": "Rina",
                "last_name": "Wati",
                "username": username,
                "active": "y",
                "email": f"{username}@test.go.id",
                "roles": [str(role.id)],
                "password": password,
                "conf_password": password,
                "csrf_token": csrf_token(admin, "/users/add"),
            },
        )

    for weak, message in [("a", TOO_SHORT), ("12345678", TOO_COMMON), ("rina2015", IS_USERNAME)]:
        response = add("rina", weak)
        assert response.status_code == 200 and t(message) in page(response), (weak, message)
        assert stored_hash("rina") is None
    assert add("rina", STRONG).status_code == 302
    assert stored_hash("rina").startswith("$argon2id$")


# ----------------------------------------------------------------- FAB's CLI, add_user
@pytest.mark.parametrize(
    "args",
    [
        [
            "create-admin",
            "--username",
            "root2",
            "--firstname",
            "R",
            "--lastname",
            "T",
            "--email",
            "root2@test.go.id",
            "--password",
            "12345678",
        ],
        [
            "create-user",
            "--role",
            ROLE_ADMIN,
            "--username",
            "root2",
            "--firstname",
            "R",
            "--lastname",
            "T",
            "--email",
            "root2@test.go.id",
            "--password",
            "a",
        ],
    ],
)
def test_fab_cli_refuses_a_weak_password_for_a_new_account(app, runner, args):
    result = runner.invoke(fab, args=args)
    assert result.exit_code != 0
    assert "8" in result.output or "umum" in result.output, result.output
    assert stored_hash("root2") is None


def test_fab_cli_reset_password_refuses_a_weak_password(app, world, runner):
    before = stored_hash("vskpd")
    result = runner.invoke(fab, args=["reset-password", "--username", "vskpd", "--password", "vskpd2024"])
    assert result.exit_code != 0 and stored_hash("vskpd") == before
    result = runner.invoke(fab, args=["reset-password", "--username", "vskpd", "--password", STRONG])
    assert result.exit_code == 0 and passwords.verify_password(stored_hash("vskpd"), STRONG)


def test_add_user_refuses_a_weak_password(app):
    sm = app.appbuilder.sm
    with app.test_request_context(), pytest.raises(passwords.PasswordRefused):
        sm.add_user(
            "199001012015011001", "Budi", "S", "b@test.go.id", sm.find_role(ROLE_PNS), password="x199001012015011001"
        )
    assert stored_hash("199001012015011001") is None
