"""Forms of the helpdesk ticket pages: the public report and the staff resolve form."""

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..services import ticket as ticket_service

REQUIRED = _l("This field is required.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class NipForCategory:
    """The NIP rule of services.ticket.nip_problem, shown under the NIP field."""

    def __call__(self, form, field):
        problem = ticket_service.nip_problem(form.kategori.data, field.data)
        if problem:
            raise ValidationError(str(problem))


def _not_in_future(form, field):
    if field.data and field.data > dt.date.today():
        raise ValidationError(str(_l("The date cannot be in the future.")))


class TicketForm(FlaskForm):
    """ "Laporkan data tidak sesuai" (public, or logged in)."""

    kategori = SelectField(
        _l("Category"),
        choices=[("", _l("Choose a category"))] + list(ticket_service.CATEGORY_LABELS.items()),
        validators=[DataRequired(message=REQUIRED)],
    )
    nip = StringField(_l("NIP"), filters=[_strip], validators=[NipForCategory()])
    nama = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(message=REQUIRED), Length(max=150)])
    detail = TextAreaField(
        _l("Details"), filters=[_strip], validators=[DataRequired(message=REQUIRED), Length(max=4000)]
    )
    nomor_sk = StringField(_l("Decree (SK) number"), filters=[_strip], validators=[Optional(), Length(max=60)])
    tanggal_sk = DateField(_l("Decree (SK) date"), validators=[Optional(), _not_in_future])
    berkas = FileField(_l("Scan of the decree (PDF/JPG/PNG, max 2 MB)"))
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[DataRequired(message=REQUIRED), Length(max=254), Email(message=_l("Enter a valid email address."))],
    )


class ClaimForm(FlaskForm):
    """Only the CSRF token: "take this ticket"."""


class ResolveForm(FlaskForm):
    """Close a ticket with a note; Helpdesk/Admin may also reset the NIP's registration."""

    resolution = TextAreaField(
        _l("Resolution"), filters=[_strip], validators=[DataRequired(message=REQUIRED), Length(max=4000)]
    )
    reset_registration = BooleanField(_l("Reset the registration of this NIP"))
