"""Forms of the registration approval inbox (Verifikator Instansi, Admin)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

REASON_MAX_LENGTH = 1000


class DecisionForm(FlaskForm):
    """Approve one or the selected registrations: nothing but the CSRF token; the row ids
    come from the URL or the `ids` checkboxes and are re-checked against the scope."""


class RejectForm(FlaskForm):
    """Reject one registration; the reason is shown to the PNS ("Cek Status")."""

    reason = TextAreaField(
        _l("Reason for rejection"),
        validators=[DataRequired(message=_l("A reason is required.")), Length(max=REASON_MAX_LENGTH)],
        description=_l("The civil servant sees this reason when he checks his registration status."),
    )
