"""Forms of the PNS's "My data" pages, built from the columns of each section's model.

One builder (`section_form`) serves every section: the fields are those the workflow lets
a PNS propose (workflow.section_fields), each widget chosen by the column type. Values are
passed to workflow.propose as entered; the service coerces and checks them."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import Boolean, Date, Integer, Numeric, String, Text, select
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..services import workflow
from .codes import code_field


# The optional supporting document of a proposed row (an SK, ijazah, akta, …).
UPLOAD_FIELD = "berkas"


class ActionForm(FlaskForm):
    """A button-only form (remove, withdraw, sudah diperiksa): the CSRF token, nothing else."""


class KirimForm(FlaskForm):
    """Kirim: the version of the draft the page showed (a change in another tab is refused)."""

    version = HiddenField()


def _fk_choices(session, column):
    """(id, label) of every row of the table `column` points to, for a select box."""
    fk = next(iter(column.foreign_keys))
    target = workflow.model_of_table(fk.column.table.name)
    rows = session.scalars(select(target).order_by(target.id)).all() if target is not None else []
    return [("", "–")] + [(str(row.id), str(row)) for row in rows]


def _field_for(session, section, name):
    column = workflow.section_column(section, name)
    label = workflow.field_label(name)
    kind = column.type
    if column.foreign_keys:
        return SelectField(label, choices=_fk_choices(session, column), validators=[Optional()])
    if (section, name) in workflow.FIELD_CHOICES:
        # "–" proposes no value; the service refuses it where the column needs one.
        return code_field(workflow.section_enum(section, name), label)
    if isinstance(kind, Boolean):
        return SelectField(label, choices=[("", "–"), ("1", _l("Yes")), ("0", _l("No"))], validators=[Optional()])
    if isinstance(kind, Date):
        return DateField(label, validators=[Optional()])
    if isinstance(kind, Text):
        return TextAreaField(label, validators=[Optional()])
    if isinstance(kind, (Integer, Numeric)):
        # Kept as text: the service says which value is not a number, next to the field name.
        return StringField(label, validators=[Optional()])
    if isinstance(kind, String) and kind.length:
        return StringField(label, validators=[Optional(), Length(max=kind.length)])
    return StringField(label, validators=[Optional()])


def section_form(session, section, values=None, formdata=None, fields=None):
    """A form of `fields` (default: every proposable field of `section`; the view passes
    workflow.proposable_fields of the draft) and the supporting document, pre-filled with
    `values` (a dict of Python values, e.g. a row of workflow.proposed_state) unless
    `formdata` is posted."""
    fields = workflow.section_fields(section) if fields is None else fields
    attrs = {name: _field_for(session, section, name) for name in fields}
    # Checked by content when stored (services.documents), not by its name or the browser.
    attrs[UPLOAD_FIELD] = FileField(_l("Supporting document (PDF/JPG/PNG, max 2 MB)"))
    form_class = type(f"{section.title().replace('_', '')}Form", (FlaskForm,), attrs)
    data = {}
    for name, value in (values or {}).items():
        if name not in attrs or value is None:
            continue
        if isinstance(attrs[name].field_class, type) and issubclass(attrs[name].field_class, SelectField):
            value = ("1" if value else "0") if isinstance(value, bool) else str(value)
        elif not isinstance(value, (str,)) and attrs[name].field_class is StringField:
            value = str(value)
        data[name] = value
    if formdata is not None:
        return form_class(formdata=formdata)
    return form_class(formdata=None, data=data)


def form_values(form, section, posted) -> dict:
    """The values of `form` posted in `posted` (fields not posted are not proposed), by
    field name, as workflow.propose takes them. A field of the record posted although the
    form does not offer it (his NIP, a golongan that follows the history) is passed on as
    posted, for the service to refuse with its reason."""
    result = {}
    for name in workflow.record_fields(section):
        if name not in posted:
            continue
        if name not in form:
            result[name] = posted[name]
            continue
        value = form[name].data
        result[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return result


def show_refusal(form, errors) -> None:
    """Each refused value's message next to its field of `form`; one whose field the form
    does not show goes to the top of the form (form.form_errors) with the field's name.
    `errors`: workflow.InvalidValue, or the findings of a workflow.RuleRefused."""
    for error in errors:
        if error.field in form and error.field != "csrf_token":
            form[error.field].errors = list(form[error.field].errors) + [str(error.message)]
        else:
            form.form_errors.append(f"{workflow.field_label(error.field)}: {error.message}")
