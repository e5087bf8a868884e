"""Indonesian presentation of dates, numbers and enumerations (Jinja filters and helpers)."""

import datetime as dt

from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import lazy_gettext as _l

PHASE_LABELS = {
    "persiapan": _l("Preparation"),
    "pengisian": _l("Registration and filling in"),
    "verifikasi": _l("Verification"),
}


def format_tanggal(value) -> str:
    """17 Agustus 2015 (in the active locale); empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "d MMMM y HH.mm")
    if isinstance(value, dt.date):
        return format_date(value, "d MMMM y")
    return str(value)


def format_waktu(value) -> str:
    """A stored (UTC) time in the portal's time zone, with the zone named: "17 Agustus 2015
    14.30 WIB"; empty for None."""
    if value is None:
        return ""
    return format_datetime(value, "d MMMM y HH.mm z")


def format_angka(value) -> str:
    """4.500.000 in Indonesian."""
    if value is None:
        return ""
    return format_decimal(value)


def phase_label(fase) -> str:
    return str(PHASE_LABELS.get(fase, fase or ""))


def register_template_helpers(app) -> None:
    app.jinja_env.filters["tanggal"] = format_tanggal
    app.jinja_env.filters["angka"] = format_angka
    app.jinja_env.filters["waktu"] = format_waktu
    app.jinja_env.globals["phase_label"] = phase_label
    use_catalogue_for_wtforms()


class _BabelTranslations:
    """WTForms' validator messages through our catalogue (Flask-WTF would look only in
    WTForms' own catalogues, which have no Indonesian)."""

    # Unformatted on purpose: WTForms fills in %(min)d / %(max)d itself afterwards.
    def gettext(self, string):
        from flask_babel import get_translations

        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        from flask_babel import get_translations

        return get_translations().ungettext(singular, plural, n)


def use_catalogue_for_wtforms() -> None:
    import flask_wtf.form

    flask_wtf.form.translations = _BabelTranslations()
