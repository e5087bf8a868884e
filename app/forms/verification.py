"""Forms of the verification inbox (Verifikator SKPD / Instansi / BKN, Helpdesk, Admin)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..models.submission import UsulanItem
from ..services import workflow

REASON_MAX_LENGTH = 1000
VERIFIER_ACTIONS = (workflow.VERIFIKASI, workflow.KEMBALIKAN, workflow.TURUN_STATUS)


class ActionForm(FlaskForm):
    """Verify, return or send back one submission. `version` is the version the page showed:
    a colleague's action in between makes the service answer "already handled"."""

    action = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[InputRequired()])
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=REASON_MAX_LENGTH)],
        description=_l("Required to return the submission or send it back to draft; the civil servant sees it."),
    )
    accept_conflicts = BooleanField(_l("I have checked the differences with the official record"))

    def validate_action(self, field):
        if field.data not in VERIFIER_ACTIONS:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("is not a valid value."))


class VerdictForm(FlaskForm):
    """Mark one item "tidak sesuai" (reason code plus free text), "sesuai", or clear the mark."""

    item_id = IntegerField(validators=[InputRequired()])
    verdict = SelectField(
        _l("Verdict"),
        choices=[
            (UsulanItem.TIDAK_SESUAI, _l("Does not match")),
            (UsulanItem.SESUAI, _l("Matches")),
            ("", _l("Clear the mark")),
        ],
        validate_choice=True,
    )
    reason_code = SelectField(
        _l("Reason"),
        choices=[("", "")] + list(UsulanItem.REASONS.items()),
        validate_choice=True,
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=REASON_MAX_LENGTH)])
