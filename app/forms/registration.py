"""Forms of the public registration (DESIGN.md §3 "Registration"). Field checks only: whether
the NIP may register, the schedule and every state change are decided in services.registration
and services.schedule."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from ..services import passwords

MAX_TEXT = 200  # answers and names; longer input is refused before any hashing


def _without_spaces(value):
    """NIPs are often written in groups ("19800101 200501 1 001"); the digits are what count."""
    return "".join(value.split()) if isinstance(value, str) else value


# Text fields use DataRequired (judged after the filters): "   " is no answer.
def _strip(value):
    return value.strip() if isinstance(value, str) else value


class NipForm(FlaskForm):
    """Step 1: "NIP Baru" + "Cari". The NIP's format is judged by services.registration.lookup_nip,
    so the message is the same one the final registration gives."""

    nip = StringField(
        _l("New NIP"),
        filters=[_without_spaces],
        validators=[DataRequired(message=_l("Enter your NIP.")), Length(max=40)],
    )
    cari = SubmitField(_l("Search"))


class EmailForm(FlaskForm):
    """Step 1, after a successful lookup: "Email" + "Lanjut"."""

    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254),
            Email(message=_l("This is not a valid email address.")),
        ],
    )
    lanjut = SubmitField(_l("Next"))


class AccountForm(FlaskForm):
    """Step 2: password, mother's maiden name, security question and answer, captcha.

    Set `nip` before validating: the password must not contain it."""

    nip = None
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Choose a password.")), Length(max=128)]
    )
    confirm = PasswordField(
        _l("Confirm Password"),
        validators=[
            InputRequired(message=_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )
    mother_name = StringField(
        _l("Mother's maiden name"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter your mother's maiden name.")), Length(max=MAX_TEXT)],
    )
    question = SelectField(
        _l("Security question"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose a security question."))],
    )
    answer = StringField(
        _l("Answer"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter the answer to your security question.")), Length(max=MAX_TEXT)],
    )
    captcha = StringField(_l("Captcha code"), filters=[_strip], validators=[Length(max=20)])
    submit = SubmitField(_l("Submit registration"))

    def validate_question(self, field):
        """The first entry of the list is the "choose one" prompt (id 0), not a question."""
        if not field.data:
            raise ValidationError(_l("Choose a security question."))

    def validate_password(self, field):
        """The house password policy (services.passwords), with this registration's NIP."""
        problems = passwords.password_problems(field.data or "", nip=self.nip)
        if problems:
            raise ValidationError(" ".join(str(p) for p in problems))
