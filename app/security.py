"""Users, roles and the security manager.

The roles of DESIGN.md §1 are declared here, in code, and written to the database by
`flask --app run pupns create-permissions` (`sync_roles`). A staff user carries his scope
(unit kerja / instansi / Kanreg); a PNS user is linked to his Pegawai record.
"""
import contextlib

from flask import flash, g, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import (
    ResetMyPasswordView,
    ResetPasswordView,
    UserDBModelView,
)
from flask_babel import lazy_gettext as _l

from .forms.account import ChangeOwnPasswordForm, ResetPasswordForm, new_account_password_field

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
    # The house password policy at the field (FAB's checks nothing by default).
    add_form_extra_fields = {
        **UserDBModelView.add_form_extra_fields,
        "password": new_account_password_field(),
    }
    edit_columns = ["first_name", "last_name", "username", "active", "email", "roles"] + _scope
    label_columns = {
        **UserDBModelView.label_columns,
        "kanreg": _l("Kanreg"),
        "instansi": _l("Instansi"),
        "unit_kerja": _l("Work unit"),
        "pegawai": _l("Employee"),
    }

    # Security events of Admin's user form go to the audit log (services.accounts); PNS and
    # staff accounts stay apart (services.accounts.account_kind_problem: FAB shows the refusal).
    def pre_add(self, item):
        """Not FAB's pre_add, which hashes with scrypt and checks nothing: the policy (the
        form has shown its messages already) and argon2id, as on every path."""
        from .services import accounts

        problem = accounts.account_kind_problem(item)
        if problem is not None:
            raise ValueError(str(problem))
        item.password = accounts.new_password_hash(
            item.password, username=item.username, nip=getattr(item.pegawai, "nip", None))
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
        problem = accounts.account_kind_problem(item)
        if problem is not None:
            raise ValueError(str(problem))
        before = g.pop("account_before", None)
        if before is not None:
            accounts.audit_account_edit(self.datamodel.session, g.user, item, before)

    def pre_delete(self, item):
        from .services import audit

        super().pre_delete(item)
        audit.record(self.datamodel.session, "user.deleted", actor=g.user, target=item,
                     detail=item.username)


def _render_form(view, form):
    """A FAB form view's page again, with the errors now on `form`'s fields."""
    return view.render_template(view.form_template, title=view.form_title,
                                widgets=view._get_edit_widget(form=form), appbuilder=view.appbuilder)


class PupnsResetMyPasswordView(ResetMyPasswordView):
    """"Reset my password" (/resetmypassword/form) asks for the current password (FAB's does
    not: a borrowed or stolen session could take the account over) and applies the house
    policy; a wrong current password counts like a failed login (services.accounts)."""

    class_permission_name = "ResetMyPasswordView"
    form = ChangeOwnPasswordForm

    def form_post(self, form):
        from .services import accounts, passwords, sessions

        sm = self.appbuilder.sm
        user = sm.get_user_by_id(g.user.id)
        try:
            accounts.change_own_password(sm.session, user, form.current_password.data,
                                         form.password.data)
        except accounts.AccountWaiting:
            form.current_password.errors = [AuthDBView.invalid_login_message]
            return _render_form(self, form)
        except accounts.WrongCurrentPassword:
            form.current_password.errors = [accounts.WRONG_CURRENT_PASSWORD]
            return _render_form(self, form)
        except passwords.PasswordRefused as refused:
            form.password.errors = refused.problems
            return _render_form(self, form)
        sessions.renew(user)  # this session goes on; every other one has ended
        flash(str(self.message), "info")
        return None


class PupnsResetPasswordView(ResetPasswordView):
    """Admin's "Reset Password" of another account, under the house policy."""

    class_permission_name = "ResetPasswordView"
    form = ResetPasswordForm

    def form_post(self, form):
        from .services import passwords

        try:
            self.appbuilder.sm.reset_password(request.args.get("pk"), form.password.data)
        except passwords.PasswordRefused as refused:
            form.password.errors = refused.problems
            return _render_form(self, form)
        flash(str(self.message), "info")
        return None


class AuthDBView(FabAuthDBView):
    """FAB's login and logout. Keeps FAB's class name: it is the endpoint (`AuthDBView.login`)
    and the permission name.

    - One answer for every login failure, saying what to do next.
    - Logout is a POST (CSRF-checked by Flask-WTF like every POST): FAB's GET /logout/ let any
      page (an <img>, a link) end every session of a visitor. A GET now only shows a page
      with the button, which keeps bookmarks of /logout/ working."""

    # The numbers are services.accounts.MAX_FAILED_LOGINS and MAX_WAIT.
    invalid_login_message = _l(
        "Login failed: check the NIP, registration number or username and the password. After "
        "5 failed attempts an account waits a few minutes (at most 15) before it can be tried "
        "again. Forgot your password? Use Lupa Kata Kunci."
    )

    logout_template = "pupns/logout.html"

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        if request.method == "POST":
            return super().logout()
        if g.user is None or not g.user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_index)
        return self.render_template(self.logout_template, appbuilder=self.appbuilder)


class PupnsSecurityManager(SecurityManager):
    user_model = User
    userdbmodelview = PupnsUserDBModelView
    authdbview = AuthDBView
    resetmypasswordview = PupnsResetMyPasswordView
    resetpasswordview = PupnsResetPasswordView
    # FAB's "user statistics" chart loads every account (millions of PNS) into one page, and
    # answers a 500 for any chart number but 0 or 1: not offered.
    userstatschartview = None

    def auth_user_db(self, username, password):
        """Login by staff username, NIP or nomor registrasi, throttled (services.accounts).
        FAB's form and its JSON login (/api/v1/security/login) both come here, and both give
        the one generic answer to every failure."""
        from .services import accounts

        return accounts.authenticate(self.session, username, password)

    # FAB's signature: "" means "no password given", not a default password.
    def add_user(self, username, first_name, last_name, email, role, password="",  # nosec B107
                 hashed_password="", **kwargs):
        """Every new password meets the house policy and is hashed with argon2id
        (services.accounts): FAB's `flask fab create-admin`/`create-user`, the demo seed.
        A weak password raises passwords.PasswordRefused (click's error on the CLI)."""
        from .services import accounts

        if password and not hashed_password:
            with _cli_error():
                hashed_password = accounts.new_password_hash(password, username=username)
        return super().add_user(username, first_name, last_name, email, role,
                                hashed_password=hashed_password, **kwargs)

    def reset_password(self, userid, password):
        """Admin's "Reset Password" and FAB's `flask fab reset-password`: the house policy
        (raises passwords.PasswordRefused), then every session and JWT of the user ends,
        except the session of a user setting his own password."""
        from .services import accounts, sessions

        actor = g.get("user")
        user = self.get_user_by_id(userid)
        with _cli_error():
            accounts.change_password(self.session, actor, user, password)
        if getattr(actor, "id", None) == user.id:
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

    def create_jwt_manager(self, app):
        """FAB's JWTs (JSON login and refresh) carry the account's session version and are
        refused once it moves or the account is disabled (services.sessions)."""
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(self.jwt_claims)
        jwt_manager.token_in_blocklist_loader(self.jwt_revoked)
        return jwt_manager

    def jwt_claims(self, identity):
        """Extra claims of a new access or refresh token for the user `identity` (his id)."""
        from .services import sessions

        user = self.get_user_by_id(int(identity))
        return sessions.token_claims(user) if user is not None else {}

    def jwt_revoked(self, _header, payload) -> bool:
        """Flask-JWT-Extended asks this of every access and refresh token it accepts."""
        from .services import sessions

        try:
            user = self.get_user_by_id(int(payload["sub"]))
        except (KeyError, TypeError, ValueError):
            return True
        return sessions.token_revoked(user, payload)

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


@contextlib.contextmanager
def _cli_error():
    """Outside a request (FAB's CLI commands), a refused password is click's error message
    ("Error: The password must have at least 8 characters."), not a traceback."""
    from flask import has_request_context

    from .services import passwords

    try:
        yield
    except passwords.PasswordRefused as refused:
        if has_request_context():
            raise
        import click

        raise click.ClickException(str(refused)) from refused


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
