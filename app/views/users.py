"""FAB's security screens as e-PUPNS needs them: Admin's user form, "Reset my password",
Admin's password reset and the login/logout view.

The security manager (app/security.py) swaps these classes into FAB; the rules behind them
live in services.accounts, services.passwords and services.sessions.
"""

from flask import flash, g, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import (
    ResetMyPasswordView,
    ResetPasswordView,
    UserDBModelView,
)
from flask_babel import lazy_gettext as _l

from ..forms.account import ChangeOwnPasswordForm, ResetPasswordForm, new_account_password_field
from ..services import accounts, audit, passwords, sessions


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
        problem = accounts.account_kind_problem(item)
        if problem is not None:
            raise ValueError(str(problem))
        item.password = accounts.new_password_hash(
            item.password, username=item.username, nip=getattr(item.pegawai, "nip", None)
        )
        accounts.audit_account_created(self.datamodel.session, g.user, item)

    def _edit(self, pk):
        if request.method == "POST":
            # The stored state, before FAB copies the form onto the record.
            item = self.datamodel.get(pk, self._base_filters)
            g.account_before = accounts.account_state(item) if item is not None else None
        return super()._edit(pk)

    def pre_update(self, item):
        super().pre_update(item)
        problem = accounts.account_kind_problem(item)
        if problem is not None:
            raise ValueError(str(problem))
        before = g.pop("account_before", None)
        if before is not None:
            accounts.audit_account_edit(self.datamodel.session, g.user, item, before)

    def pre_delete(self, item):
        super().pre_delete(item)
        audit.record(self.datamodel.session, "user.deleted", actor=g.user, target=item, detail=item.username)


def _render_form(view, form):
    """A FAB form view's page again, with the errors now on `form`'s fields."""
    return view.render_template(
        view.form_template, title=view.form_title, widgets=view._get_edit_widget(form=form), appbuilder=view.appbuilder
    )


class PupnsResetMyPasswordView(ResetMyPasswordView):
    """ "Reset my password" (/resetmypassword/form) asks for the current password (FAB's does
    not: a borrowed or stolen session could take the account over) and applies the house
    policy; a wrong current password counts like a failed login (services.accounts)."""

    class_permission_name = "ResetMyPasswordView"
    form = ChangeOwnPasswordForm

    def form_post(self, form):
        sm = self.appbuilder.sm
        user = sm.get_user_by_id(g.user.id)
        try:
            accounts.change_own_password(sm.session, user, form.current_password.data, form.password.data)
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
