"""Data utama: the rules of one PNS's own record (identity, names, titles, dates)."""

import re

from flask_babel import lazy_gettext as _l

from .core import ERROR, rule
from .dates import check_utama_dates
from .identity import check_nik, check_nip, check_nip_lama

# An academic or religious title ("Dr.", "Hj.", "S.Kom., M.T."): letters, then letters, dots,
# commas, spaces and hyphens, no longer than its column. Nothing else is ever part of a title.
_GELAR = re.compile(r"[A-Za-z][A-Za-z., -]*")
GELAR_MAX_LENGTH = {"gelar_depan": 30, "gelar_belakang": 60}

_gelar_chars = rule(
    "gelar.characters",
    "names",
    ERROR,
    _l("may contain only letters, dots, commas, spaces and hyphens, e.g. Dr. or S.Kom., M.T."),
)
_gelar_length = rule("gelar.length", "names", ERROR, _l("is too long."))
_gender = rule("utama.gender", "identity", ERROR, _l("must be L (male) or P (female)."))
_required = rule("utama.required", "identity", ERROR, _l("is required."))


def check_gelar(field: str, value) -> list:
    """A title before or after the name (`field` gelar_depan/gelar_belakang); empty is valid."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    limit = GELAR_MAX_LENGTH[field]
    if not isinstance(value, str) or _GELAR.fullmatch(value.strip()) is None:
        return [_gelar_chars(field)]
    if len(value.strip()) > limit:
        return [_gelar_length(field, _l("is longer than %(n)d characters.", n=limit))]
    return []


# The rule of one field, by field name, wherever that field is entered: the staff forms
# (Pegawai and its history rows), the import, and a PNS's proposed change.
FIELD_RULES = {"gelar_depan": check_gelar, "gelar_belakang": check_gelar}


def check_fields(values: dict) -> list:
    """The FIELD_RULES errors of every field in `values` that has a rule."""
    errors = []
    for name, value in values.items():
        field_rule = FIELD_RULES.get(name)
        if field_rule is not None:
            errors += field_rule(name, value)
    return errors


def check_pegawai(data: dict, today=None) -> list:
    """All data-utama rules for one record given as a dict of model field values."""
    errors = []
    born, gender, tmt_cpns = data.get("tanggal_lahir"), data.get("jenis_kelamin"), data.get("tmt_cpns")
    if gender not in ("L", "P"):
        errors.append(_gender("jenis_kelamin"))
        gender = None
    if not (data.get("nama") or "").strip():
        errors.append(_required("nama"))
    # Without these the NIP and NIK could not be checked against each other.
    for field in ("tanggal_lahir", "tmt_cpns"):
        if data.get(field) is None:
            errors.append(_required(field))
    errors += check_nip(data.get("nip"), born, gender, tmt_cpns)
    if data.get("nik"):
        errors += check_nik(data["nik"], born, gender)
    errors += check_nip_lama(data.get("nip_lama"))
    errors += check_utama_dates(data, today=today)
    errors += check_fields({name: data[name] for name in FIELD_RULES if name in data})
    return errors
