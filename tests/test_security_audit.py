"""The audit log of security events: login success/failure, lockout, logout, password
reset and change, role changes and accounts created/disabled/deleted in Admin's user form,
registration reset, exports. Each with actor, IP and time (UTC); readable by Admin; never
holding a password, answer, token or hash."""

import datetime as dt
import re

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select

from app.extensions import db
from app.models import utcnow
from app.models.audit import AuditLog
from app.roles import ROLE_MONITOR, ROLE_VERIFIKATOR_SKPD
from app.models import User
from app.services import monitoring, recovery, registration
from app.services.accounts import identifier_for_log

from .helpers import PASSWORD, AuthActions, csrf_token, ANSWER, MOTHER, PNS_PASSWORD, approve_directly, register_pns
from .test_access import form_of


def entries(*names):
    db.session.rollback()
    stmt = select(AuditLog).order_by(AuditLog.id)
    if names:
        stmt = stmt.where(AuditLog.event.in_(names))
    return db.session.scalars(stmt).all()


def role_id(name):
    db.session.rollback()
    return str(db.session.scalar(select(Role.id).where(Role.name == name)))


# --------------------------------------------------------------------------------------------
# Admin's user form
# --------------------------------------------------------------------------------------------
def test_role_changes_in_the_user_form_are_audited(app, world, login):
    admin = login("admin")
    user_id = world["users"][ROLE_VERIFIKATOR_SKPD].id
    url = f"/users/edit/{user_id}"
    form = form_of(admin, url)
    form["roles"] = [role_id(ROLE_VERIFIKATOR_SKPD), role_id(ROLE_MONITOR)]
    assert admin.post(url, data=form).status_code == 302
    form = form_of(admin, url)
    form["roles"] = [role_id(ROLE_MONITOR)]
    assert admin.post(url, data=form).status_code == 302
    # Saving without a change writes no entry.
    form = form_of(admin, url)
    assert admin.post(url, data=form).status_code == 302

    changes = entries("user.roles_changed")
    assert [e.detail for e in changes] == [
        "vskpd: added Monitor; removed -",
        "vskpd: added -; removed Verifikator SKPD",
    ]
    for entry in changes:
        assert (entry.actor_name, entry.target_type, entry.target_id) == ("admin", "PupnsUser", str(user_id))
        assert entry.ip == "127.0.0.1"


def test_accounts_created_disabled_enabled_and_deleted_are_audited(app, world, login):
    admin = login("admin")
    form = form_of(admin, "/users/add")
    form.update(
        first_name="Rina",
        last_name="Wati",
        username="rina",
        email="rina@bkn.go.id",
        password="Sambal-Terasi-99",
        conf_password="Sambal-Terasi-99",
        roles=[role_id(ROLE_MONITOR)],
    )
    assert admin.post("/users/add", data=form).status_code == 302
    db.session.rollback()
    rina = db.session.scalar(select(User).where(User.username == "rina"))
    url = f"/users/edit/{rina.id}"
    form = form_of(admin, url)
    form.pop("active", None)
    admin.post(url, data=form)
    form = form_of(admin, url)
    form["active"] = "y"
    admin.post(url, data=form)
    token = csrf_token(admin, "/users/list/")
    assert admin.post(f"/users/delete/{rina.id}", data={"csrf_token": token}).status_code == 302

    log = entries("user.created", "account.disabled", "account.enabled", "user.deleted")
    assert [(e.event, e.detail) for e in log] == [
        ("user.created", "rina: roles Monitor"),
        ("account.disabled", "rina"),
        ("account.enabled", "rina"),
        ("user.deleted", "rina"),
    ]
    assert {e.actor_name for e in log} == {"admin"}
    assert all("Sambal-Terasi-99" not in (e.detail or "") for e in entries())


# --------------------------------------------------------------------------------------------
# Every security event, with actor, IP and UTC time; no secrets
# --------------------------------------------------------------------------------------------
def test_security_events_land_in_the_log_without_secrets(app, world, open_run, login):
    started = utcnow().replace(microsecond=0)
    nip = world["peg_a"].nip
    registrasi = register_pns(app, world["peg_a"])
    approve_directly(registrasi)
    nomor, account = registrasi.nomor, registrasi.user.username

    pns = login(None)
    for _ in range(5):
        AuthActions(pns).login(nip, "Tebak-Tebakan-01")  # the fifth locks the account
    AuthActions(pns).login(PNS_PASSWORD, PNS_PASSWORD)  # the password typed as the name

    sent = []
    recovery.request_password_reset(db.session, nip, nomor, lambda token: sent.append(token) or "http://x/")
    recovery.reset_password(db.session, sent[0], "Gudeg-Wijilan-2015")
    pns = login(None)
    AuthActions(pns).login(nip, "Gudeg-Wijilan-2015")
    AuthActions(pns).logout()

    staff = login("vinstansi")
    token = csrf_token(staff, "/resetmypassword/form")
    staff.post(
        "/resetmypassword/form",
        data={
            "current_password": PASSWORD,
            "password": "Bakpia-Pathok-25",
            "conf_password": "Bakpia-Pathok-25",
            "csrf_token": token,
        },
    )
    monitor = login("monitor")
    kind = monitoring.EXPORT_KINDS[0]
    assert monitor.get(f"/monitoring/ekspor/{kind}.csv").status_code == 200
    helpdesk = db.session.scalar(select(User).where(User.username == "helpdesk"))
    registration.reset(db.session, helpdesk, db.session.merge(registrasi), "Didaftarkan orang lain")
    finished = utcnow() + dt.timedelta(seconds=1)

    log = entries()
    seen = {e.event for e in log}
    assert {
        "login.success",
        "login.failure",
        "login.lockout",
        "logout",
        "password.reset_requested",
        "password.reset",
        "password.changed",
        "export",
        "registration.reset",
    } <= seen
    for entry in log:
        assert started <= entry.created_at <= finished  # stored as UTC
    by_event = {e.event: e for e in log}
    assert by_event["registration.reset"].actor_name == "helpdesk"
    assert by_event["export"].actor_name == "monitor" and by_event["export"].ip == "127.0.0.1"
    assert by_event["password.changed"].actor_name == "vinstansi"
    assert by_event["logout"].actor_name == account and by_event["logout"].ip == "127.0.0.1"

    secrets = [
        PASSWORD,
        PNS_PASSWORD,
        "Tebak-Tebakan-01",
        "Gudeg-Wijilan-2015",
        "Bakpia-Pathok-25",
        MOTHER,
        ANSWER,
        sent[0],
        recovery.token_hash(sent[0]),
        "$argon2",
    ]
    for entry in log:
        text = " ".join(
            str(v) for v in (entry.event, entry.actor_name, entry.target_type, entry.target_id, entry.detail, entry.ip)
        )
        for secret in secrets:
            assert secret not in text, (entry.event, secret)


def test_a_login_name_that_matches_nobody_is_logged_only_in_part():
    assert identifier_for_log("199001012015011999") == "199001012015011999"  # a NIP: helpdesk needs it
    assert identifier_for_log("Kopi-Tubruk-Sleman-88") == "Ko… (21 characters)"
    assert identifier_for_log("") == "… (0 characters)"


def test_admin_reads_actor_ip_and_utc_time_in_the_log(app, world, login):
    AuthActions(login(None)).login("vskpd", "wrong-password-1")
    db.session.rollback()
    entry = db.session.scalar(select(AuditLog).where(AuditLog.event == "login.failure"))
    page = login("admin").get("/auditlog/", query_string={"event": "login"}).get_data(as_text=True)
    assert entry.created_at.strftime("%Y-%m-%d %H:%M:%S") in page
    assert "UTC" in page and "127.0.0.1" in page and "vskpd" in page
    assert re.search(r"login\.failure", page)
