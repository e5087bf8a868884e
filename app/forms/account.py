"""Forms that set a password inside the portal (FAB's screens): one's own change, Admin's
reset and Admin's new user. The policy itself lives in services.passwords; these only put its
messages at the field."""

from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

POLICY_HINT = _l("At least 8 characters; not a common password and not your NIP.")
MAX_PASSWORD = 128


class PasswordPolicy:
    """WTForms validator: the house policy, for the account `identify(form)` names
    (a dict of `user`, `username`, `nip` for services.accounts.password_problems_for)."""

    def __init__(self, identify):
        self.identify = identify

    def __call__(self, form, field):
        from ..services import accounts

        problems = accounts.password_problems_for(password=field.data or "", **self.identify(form))
        if problems:
            raise ValidationError(" ".join(str(p) for p in problems))


def new_password_field():
    return PasswordField(
        _l("New password"),
        description=POLICY_HINT,
        widget=BS3PasswordFieldWidget(),
        validators=[DataRequired(message=_l("Enter the new password.")), Length(max=MAX_PASSWORD)],
    )


def confirm_field():
    return PasswordField(
        _l("Confirm Password"),
        widget=BS3PasswordFieldWidget(),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class ChangeOwnPasswordForm(DynamicForm):
    """ "Reset my password": the current password, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        widget=BS3PasswordFieldWidget(),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=MAX_PASSWORD)],
    )
    password = new_password_field()
    conf_password = confirm_field()


class ResetPasswordForm(DynamicForm):
    """Admin's "Reset Password" of another account: the new password twice."""

    password = new_password_field()
    conf_password = confirm_field()


def new_account_identity(form) -> dict:
    """Who Admin's add-user form is creating: its user name and, for a PNS, his NIP."""
    pegawai = getattr(getattr(form, "pegawai", None), "data", None)
    return {
        "user": None,
        "username": getattr(getattr(form, "username", None), "data", None),
        "nip": getattr(pegawai, "nip", None),
    }


def new_account_password_field():
    """The password field of Admin's add-user form, under the house policy."""
    return PasswordField(
        _l("Password"),
        description=POLICY_HINT,
        widget=BS3PasswordFieldWidget(),
        validators=[
            DataRequired(message=_l("Enter the new password.")),
            Length(max=MAX_PASSWORD),
            PasswordPolicy(new_account_identity),
        ],
    )
