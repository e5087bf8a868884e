"""The upload form of the "Impor Data" screen (services.import_jobs checks the file itself)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField


class ImportUploadForm(FlaskForm):
    """The file, and for Admin the instansi it is for (a Verifikator Instansi's is his own:
    the view removes the field)."""

    instansi = SelectField(_l("Instansi"), coerce=int, validate_choice=True)
    berkas = FileField(_l("File (.csv or .xlsx)"), validators=[FileRequired(message=_l("Choose a file to import."))])
