"""Forms of the public recovery pages (Cek Status, Lupa Nomor Registrasi, Lupa Jawaban,
Lupa Kata Kunci). Field checks only; every decision is in services.recovery."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from ..services import rules

MAX_TEXT = 200  # answers and names; longer input is refused before any hashing


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _without_spaces(value):
    """NIPs are often written in groups ("19800101 200501 1 001"); the digits are what count."""
    return "".join(value.split()) if isinstance(value, str) else value


def nip_digits(form, field):
    """A NIP is 18 ASCII digits (the same check as registration step 1)."""
    if not rules.is_ascii_digits(field.data or "", 18):
        raise ValidationError(_l("A NIP has exactly 18 digits."))


def _nip_field():
    return StringField(
        _l("NIP"), filters=[_without_spaces], validators=[InputRequired(message=_l("Enter your NIP.")), nip_digits]
    )


def _nomor_field():
    # The printed form XXXX-XXXX-XXXX is accepted (services.registration.normalise_nomor).
    return StringField(_l("Registration number"), filters=[_strip], validators=[DataRequired(), Length(max=20)])


class CheckStatusForm(FlaskForm):
    """Cek Status: NIP + nomor registrasi."""

    nip = _nip_field()
    nomor = _nomor_field()


class ForgotNomorForm(FlaskForm):
    """Lupa Nomor Registrasi, step 1: the NIP."""

    nip = _nip_field()


class ForgotNomorAnswerForm(FlaskForm):
    """Lupa Nomor Registrasi, step 2: the answer to the security question of that NIP."""

    nip = HiddenField(filters=[_without_spaces], validators=[DataRequired(), nip_digits])
    answer = StringField(_l("Answer"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class ForgotAnswerForm(FlaskForm):
    """Lupa Jawaban: NIP + Nama Ibu Kandung, and the new security question and answer."""

    nip = _nip_field()
    mother_name = StringField(_l("Mother's maiden name"), validators=[DataRequired(), Length(max=MAX_TEXT)])
    question = SelectField(
        _l("New security question"), coerce=int, validators=[InputRequired(message=_l("Choose a security question."))]
    )
    answer = StringField(_l("New answer"), validators=[DataRequired(), Length(max=MAX_TEXT)])

    def set_questions(self, questions):
        """Offer the security questions of the reference table."""
        self.question.choices = [(q.id, q.pertanyaan) for q in questions]


class ForgotPasswordForm(FlaskForm):
    """Lupa Kata Kunci: NIP + nomor registrasi."""

    nip = _nip_field()
    nomor = _nomor_field()


class ResetPasswordForm(FlaskForm):
    """The page behind the reset link: the new password, twice."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(
        _l("Confirm Password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
    )
