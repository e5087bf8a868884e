"""Forms of the Helpdesk account tools."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .approval import REASON_MAX_LENGTH


class ResetRegistrationForm(FlaskForm):
    """ "Reset registrasi": the NIP may register again; the reason goes to the audit log."""

    reason = TextAreaField(
        _l("Reason for the reset"),
        validators=[DataRequired(message=_l("A reason is required.")), Length(max=REASON_MAX_LENGTH)],
        description=_l("For example the ticket number and what the civil servant reported."),
    )


class UnlockForm(FlaskForm):
    """ "Buka kunci akun": nothing but the CSRF token."""
