"""Select boxes of coded columns (models.codes): the staff FAB forms and the PNS's draft
forms offer the labels, post the code, and refuse any other value with an Indonesian
message before it reaches the database."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import ValidationError

from ..models import codes

NO_VALUE = ("", "–")


def _code_or_none(value):
    # "" (the "–" option) and no value are the same thing: the column stores NULL.
    return None if value in (None, "") else str(value)


class CodeSelectField(SelectField):
    """A select box of the codes of one enum. `required`: no "–" option and a value is
    needed (a non-null column); otherwise "–" stores no value."""

    def __init__(self, label=None, validators=None, *, enum, required=False, **kwargs):
        self.enum = enum
        self.required = required
        choices = ([] if required else [NO_VALUE]) + codes.choices(enum)
        super().__init__(label, validators, coerce=_code_or_none, choices=choices, **kwargs)

    def iter_choices(self):
        # A stored value that is no code (from before the fields were choices) is shown, and
        # selected, as itself: a browser would otherwise pick the first code and a save of
        # another field would change it unseen. Posting it back is refused (pre_validate).
        if self.data is not None and not codes.is_code(self.enum, self.data):
            yield (self.data, _l("%(value)s (not a valid choice: choose another)", value=self.data), True, {})
        yield from super().iter_choices()

    def pre_validate(self, form):
        if self.data is None and not self.required:
            return
        if not codes.is_code(self.enum, self.data):
            raise ValidationError(_l("Choose one of the listed options."))


def code_field(enum: str, label, *, required=False, default=None, widget=None):
    """An unbound CodeSelectField (for FAB's form extra fields or a form class)."""
    kwargs = {"default": default} if default is not None else {}
    if widget is not None:
        kwargs["widget"] = widget
    return CodeSelectField(label, enum=enum, required=required, **kwargs)


def model_code_fields(model, label_of, widget=None) -> dict:
    """A CodeSelectField for every coded column of `model` (models.codes.CODED_COLUMNS), by
    column name: required when the column is not nullable, preset to the column default."""
    fields = {}
    for column in model.__table__.columns:
        enum = codes.enum_of(model.__tablename__, column.key)
        if enum is None:
            continue
        default = column.default.arg if column.default is not None and not callable(column.default.arg) else None
        fields[column.key] = code_field(
            enum, label_of(column.key), required=not column.nullable, default=default, widget=widget
        )
    return fields
