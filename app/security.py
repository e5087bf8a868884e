"""Users, roles and the security manager.

The roles of DESIGN.md §1 are declared here, in code, and written to the database by
`flask --app run pupns create-permissions` (`sync_roles`). A staff user carries his scope
(unit kerja / instansi / Kanreg); a PNS user is linked to his Pegawai record.
"""
from flask import g
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l

from .models.user import User  # noqa: F401 - re-exported: the user model of this app

ROLE_ADMIN = "Admin"
ROLE_PNS = "PNS"
ROLE_VERIFIKATOR_SKPD = "Verifikator SKPD"
ROLE_VERIFIKATOR_INSTANSI = "Verifikator Instansi"
ROLE_VERIFIKATOR_BKN = "Verifikator BKN"
ROLE_HELPDESK = "Helpdesk"
ROLE_MONITOR = "Monitor"
# Machine accounts of integration clients (BPJS, Taspen, an instansi's HR system): they read
# the REST API (app/api) with an API key, within their scope, and have no screens. Not in
# ALL_ROLES, the roles of people (DESIGN.md §1, one demo account each).
ROLE_INTEGRASI = "Integrasi"
ALL_ROLES = (
    ROLE_ADMIN,
    ROLE_PNS,
    ROLE_VERIFIKATOR_SKPD,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_BKN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
)


class PupnsUserDBModelView(UserDBModelView):
    """Admin's user screen, with the scope fields."""

    class_permission_name = "UserDBModelView"
    _scope = ["kanreg", "instansi", "unit_kerja", "pegawai"]
    list_columns = ["first_name", "last_name", "username", "email", "active", "roles", "instansi"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count"]}),
        (_l("Scope"), {"fields": _scope}),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"], "expanded": True}),
        (
            _l("Audit Info"),
            {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"]},
        ),
    ]
    add_columns = UserDBModelView.add_columns + _scope
    edit_columns = ["first_name", "last_name", "username", "active", "email", "roles"] + _scope
    label_columns = {
        **UserDBModelView.label_columns,
        "kanreg": _l("Kanreg"),
        "instansi": _l("Instansi"),
        "unit_kerja": _l("Work unit"),
        "pegawai": _l("Employee"),
    }

    # Security events of Admin's user form go to the audit log (services.accounts).
    def pre_add(self, item):
        from .services import accounts

        super().pre_add(item)
        accounts.audit_account_created(self.datamodel.session, g.user, item)

    def _edit(self, pk):
        from flask import request

        from .services import accounts

        if request.method == "POST":
            # The stored state, before FAB copies the form onto the record.
            item = self.datamodel.get(pk, self._base_filters)
            g.account_before = accounts.account_state(item) if item is not None else None
        return super()._edit(pk)

    def pre_update(self, item):
        from .services import accounts

        super().pre_update(item)
        before = g.pop("account_before", None)
        if before is not None:
            accounts.audit_account_edit(self.datamodel.session, g.user, item, before)

    def pre_delete(self, item):
        from .services import audit

        super().pre_delete(item)
        audit.record(self.datamodel.session, "user.deleted", actor=g.user, target=item,
                     detail=item.username)


class PupnsSecurityManager(SecurityManager):
    user_model = User
    userdbmodelview = PupnsUserDBModelView
    # FAB's "user statistics" chart loads every account (millions of PNS) into one page, and
    # answers a 500 for any chart number but 0 or 1: not offered.
    userstatschartview = None

    def auth_user_db(self, username, password):
        """Login by staff username, NIP or nomor registrasi, with lockout (services.accounts)."""
        from flask import flash

        from .i18n import format_tanggal
        from .services import accounts

        try:
            return accounts.authenticate(self.session, username, password)
        except accounts.AccountLocked as locked:
            flash(accounts.LOCKED_MESSAGE % {"time": format_tanggal(locked.until)}, "warning")
            return None

    # FAB's signature: "" means "no password given", not a default password.
    def add_user(self, username, first_name, last_name, email, role, password="",  # nosec B107
                 hashed_password="", **kwargs):
        """Every new password is hashed with argon2id (services.passwords)."""
        from .services import passwords

        if password and not hashed_password:
            hashed_password = passwords.hash_password(password)
        return super().add_user(username, first_name, last_name, email, role,
                                hashed_password=hashed_password, **kwargs)

    def reset_password(self, userid, password):
        """FAB's "Reset my password" and Admin's "Reset Password": every session of the user
        ends, except the one of a user changing his own password."""
        from .services import accounts, sessions

        user = self.get_user_by_id(userid)
        accounts.change_password(self.session, g.user, user, password)
        if g.user.id == user.id:
            sessions.renew(user)

    # -- login sessions (services.sessions) ------------------------------------------------
    def create_login_manager(self, app):
        from flask_login import user_logged_in

        from .services import sessions

        lm = super().create_login_manager(app)
        # Cookie sessions are checked against the account on every request; FAB's own
        # `load_user` stays as it is for its JWT and API-key logins.
        lm.user_loader(self.load_session_user)
        user_logged_in.connect(sessions.begin)
        return lm

    def load_session_user(self, pk):
        """The user of the session cookie, or None (anonymous) when the account is gone or
        disabled, or the session has been ended, idled out or reached its maximum age."""
        from .services import sessions

        user = self.load_user(pk)
        problem = sessions.ENDED if user is None else sessions.current_problem(user)
        if problem is not None:
            sessions.drop(problem)
            return None
        sessions.touch()
        return user

    def on_user_logout(self, user):
        """Logout ends every session of the user, not only this browser's (services.sessions)."""
        from .services import accounts, sessions

        accounts.logout(self.session, user)
        sessions.forget()

    def _has_view_access(self, user, permission_name, view_name):
        """FAB asks the database once per check, and a page asks for every menu entry and
        button (~20 queries per staff page). The user's permissions are read once per request
        instead: one query of (permission, view) pairs, kept on `g` for that request."""
        from flask import has_request_context

        roles = self.get_user_roles(user)
        if not has_request_context() or any(role.name in self.builtin_roles for role in roles):
            return super()._has_view_access(user, permission_name, view_name)
        key = (getattr(user, "id", None), tuple(sorted(role.id for role in roles)))
        cached = g.get("pupns_permissions")
        if cached is None or cached[0] != key:
            cached = (key, self._permission_pairs([role.id for role in roles]))
            g.pupns_permissions = cached
        return (permission_name, view_name) in cached[1]

    def _permission_pairs(self, role_ids) -> frozenset:
        """Every (permission, view) granted to these roles, in one query."""
        from flask_appbuilder.security.sqla.models import assoc_permissionview_role
        from sqlalchemy import select

        pv, perm, view = self.permissionview_model, self.permission_model, self.viewmenu_model
        rows = self.session.execute(
            select(perm.name, view.name)
            .select_from(pv)
            .join(assoc_permissionview_role, pv.id == assoc_permissionview_role.c.permission_view_id)
            .join(perm, pv.permission_id == perm.id)
            .join(view, pv.view_menu_id == view.id)
            .where(assoc_permissionview_role.c.role_id.in_(role_ids))
        )
        return frozenset((p, v) for p, v in rows)

    def register_views(self):
        super().register_views()
        # FAB rate-limits only the login form; its JSON login (/api/v1/security/login) would
        # let anyone guess passwords without limit. It gets the same limit.
        api = next((v for v in self.appbuilder.baseviews if isinstance(v, self.security_api)), None)
        if self.is_auth_limited and api is not None and api.blueprint is not None:
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(api.blueprint)


def _crud(view: str, *, write: bool) -> list[tuple[str, str]]:
    perms = ["can_list", "can_show"] + (["can_add", "can_edit", "can_delete"] if write else [])
    return [(p, view) for p in perms]


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    """Permission/view pairs for every non-Admin role (Admin gets everything from FAB)."""
    from .api import API_CLASS_NAMES
    from .models import PEGAWAI_CHILD_MODELS

    employee_views = ["PegawaiView"] + [f"{m.__name__}View" for m in PEGAWAI_CHILD_MODELS]
    own_account = [
        ("can_userinfo", "UserDBModelView"),
        ("resetmypassword", "UserDBModelView"),
        ("can_this_form_get", "ResetMyPasswordView"),
        ("can_this_form_post", "ResetMyPasswordView"),
    ]
    read_employees = [pair for v in employee_views for pair in _crud(v, write=False)]
    read_employees += _crud("DokumenView", write=False) + [("can_download", "DokumenView")]
    read_employees += [("menu_access", m) for m in ("Employees", "Employee data", "Documents")]
    write_employees = [pair for v in employee_views for pair in _crud(v, write=True)]
    write_employees += [("muldelete", "PegawaiView")]
    handle_tickets = [(p, "TicketInboxView") for p in
                      ("can_list", "can_show", "can_download", "can_claim", "can_resolve")]
    handle_tickets += [("menu_access", m) for m in ("Helpdesk", "Helpdesk tickets")]
    approve_registrations = [(p, "RegistrationApprovalView") for p in
                             ("can_list", "can_approve", "can_reject")]
    approve_registrations += [("menu_access", m) for m in ("Verification", "Registration approval")]
    helpdesk_accounts = [(p, "HelpdeskAccountView") for p in ("can_lookup", "can_reset", "can_unlock")]
    helpdesk_accounts += [("menu_access", m) for m in ("Helpdesk", "Registration lookup")]
    verify_submissions = [(p, "VerificationInboxView") for p in ("can_list", "can_show", "can_act")]
    verify_submissions += [("menu_access", m) for m in ("Verification", "Verification inbox")]
    my_data = [("can_access", "MyDataView"), ("menu_access", "My data"),
               ("can_list", "MessageView"), ("menu_access", "Messages")]
    # Dashboard, lists, workload and exports, each user within his own scope (services.monitoring).
    monitoring = [("can_access", "MonitoringView"), ("can_export", "MonitoringView")]
    monitoring += [("menu_access", m) for m in ("Monitoring", "Dashboard", "Verifier workload")]
    return {
        ROLE_PNS: own_account + my_data,
        ROLE_VERIFIKATOR_SKPD: own_account + read_employees + verify_submissions + monitoring,
        ROLE_VERIFIKATOR_INSTANSI: own_account + read_employees + write_employees + handle_tickets
        + approve_registrations + verify_submissions + monitoring,
        ROLE_VERIFIKATOR_BKN: own_account + read_employees + verify_submissions + monitoring,
        ROLE_HELPDESK: own_account + handle_tickets + helpdesk_accounts + verify_submissions,
        ROLE_MONITOR: own_account + read_employees + monitoring,
        # The read-only REST API (app/api), nothing else.
        ROLE_INTEGRASI: [(p, api) for api in API_CLASS_NAMES for p in ("can_get", "can_info")],
    }


def sync_roles(appbuilder) -> None:
    """Write every view's permissions, give Admin all of them, create every role and make
    its permissions exactly those declared in code. Safe to run at every deploy."""
    sm = appbuilder.sm
    session = sm.session
    sm.add_role(sm.auth_role_admin)
    sm.add_role(sm.auth_role_public)
    appbuilder.add_permissions(update_perms=True)
    for role_name, pairs in role_permissions().items():
        role = sm.find_role(role_name) or sm.add_role(role_name)
        wanted = []
        for permission, view in dict.fromkeys(pairs):
            pv = sm.find_permission_view_menu(permission, view)
            if pv is None:
                pv = sm.add_permission_view_menu(permission, view)
            wanted.append(pv)
        role.permissions = wanted
    session.commit()
