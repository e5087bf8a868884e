"""The security manager: FAB's hooks for e-PUPNS.

Swaps the app's user model and security screens (views.users) into FAB and routes login,
passwords, login sessions and JWTs through services.accounts, .passwords and .sessions.
Only the app factory, the CLI and FAB's config (FAB_SECURITY_MANAGER_CLASS) import this
module; roles live in app/roles.py and are written by services.permissions.sync_roles.
"""

import contextlib

import click
from flask import g, has_request_context
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_login import user_logged_in
from sqlalchemy import select

from .models.user import User
from .services import accounts, passwords, sessions
from .views.users import (
    AuthDBView,
    PupnsResetMyPasswordView,
    PupnsResetPasswordView,
    PupnsUserDBModelView,
)


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
        return accounts.authenticate(self.session, username, password)

    # FAB's signature: "" means "no password given", not a default password.
    def add_user(
        self,
        username,
        first_name,
        last_name,
        email,
        role,
        password="",  # nosec B107
        hashed_password="",
        **kwargs,
    ):
        """Every new password meets the house policy and is hashed with argon2id
        (services.accounts): FAB's `flask fab create-admin`/`create-user`, the demo seed.
        A weak password raises passwords.PasswordRefused (click's error on the CLI)."""
        if password and not hashed_password:
            with _cli_error():
                hashed_password = accounts.new_password_hash(password, username=username)
        return super().add_user(username, first_name, last_name, email, role, hashed_password=hashed_password, **kwargs)

    def reset_password(self, userid, password):
        """Admin's "Reset Password" and FAB's `flask fab reset-password`: the house policy
        (raises passwords.PasswordRefused), then every session and JWT of the user ends,
        except the session of a user setting his own password."""
        actor = g.get("user")
        user = self.get_user_by_id(userid)
        with _cli_error():
            accounts.change_password(self.session, actor, user, password)
        if getattr(actor, "id", None) == user.id:
            sessions.renew(user)

    # -- login sessions (services.sessions) ------------------------------------------------
    def create_login_manager(self, app):
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
        user = self.get_user_by_id(int(identity))
        return sessions.token_claims(user) if user is not None else {}

    def jwt_revoked(self, _header, payload) -> bool:
        """Flask-JWT-Extended asks this of every access and refresh token it accepts."""
        try:
            user = self.get_user_by_id(int(payload["sub"]))
        except (KeyError, TypeError, ValueError):
            return True
        return sessions.token_revoked(user, payload)

    def load_session_user(self, pk):
        """The user of the session cookie, or None (anonymous) when the account is gone or
        disabled, or the session has been ended, idled out or reached its maximum age."""
        user = self.load_user(pk)
        problem = sessions.ENDED if user is None else sessions.current_problem(user)
        if problem is not None:
            sessions.drop(problem)
            return None
        sessions.touch()
        return user

    def on_user_logout(self, user):
        """Logout ends every session of the user, not only this browser's (services.sessions)."""
        accounts.logout(self.session, user)
        sessions.forget()

    def _has_view_access(self, user, permission_name, view_name):
        """FAB asks the database once per check, and a page asks for every menu entry and
        button (~20 queries per staff page). The user's permissions are read once per request
        instead: one query of (permission, view) pairs, kept on `g` for that request."""
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
    try:
        yield
    except passwords.PasswordRefused as refused:
        if has_request_context():
            raise
        raise click.ClickException(str(refused)) from refused
