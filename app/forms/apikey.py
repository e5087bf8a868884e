"""Forms of Admin's API key screen."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..services.apikeys import NAME_MAX_LENGTH


class ApiKeyForm(FlaskForm):
    """A new key: what it is for, whose account it acts as, until when."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("A name is required.")), Length(max=NAME_MAX_LENGTH)],
        description=_l('What the key is for, e.g. "BPJS Kesehatan – sinkronisasi harian".'),
    )
    owner = SelectField(
        _l("Account"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose the account the key acts as."))],
        description=_l("An account of the Integrasi role: its scope decides which records the key can read."),
    )
    expires = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("The key stops working after this day. Empty: never (not recommended)."),
    )


class RevokeApiKeyForm(FlaskForm):
    """ "Revoke": nothing but the CSRF token."""
