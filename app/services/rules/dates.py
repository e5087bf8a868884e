"""Dates: what cannot lie in the future, what cannot lie before the career began.

One table (`DATE_FIELDS`) says of every date or year column of the record what kind of day it
is; `check_row_dates` applies it to any section's row, so a new column needs one line here.
"""

import datetime as dt

from flask_babel import lazy_gettext as _l

from .core import ERROR, add_years, as_date, rule

MIN_CPNS_AGE_YEARS = 18
# An SK may be signed before its TMT (promotions take effect on 1 April / 1 October), so a TMT
# may lie up to a year ahead; anything later is a typing error (2030 for 2020).
TMT_AHEAD_DAYS = 366
# The earliest age at which a diploma is plausible at all (SD at six).
MIN_GRADUATION_AGE_YEARS = 6

# Kinds of date: a past event (birth, SK signed, marriage, graduation), a TMT (may be a year
# ahead), a year (not after this year).
EVENT, TMT, YEAR = "event", "tmt", "year"
DATE_FIELDS = {
    "data_utama": {
        "tanggal_lahir": EVENT,
        "tmt_cpns": TMT,
        "sk_cpns_tanggal": EVENT,
        "tmt_pns": TMT,
        "sk_pns_tanggal": EVENT,
        "tmt_golongan": TMT,
        "tmt_jabatan": TMT,
    },
    "riwayat_golongan": {"tmt_golongan": TMT, "tanggal_sk": EVENT, "tanggal_pertek": EVENT},
    "riwayat_jabatan": {"tmt_jabatan": TMT, "tmt_selesai": TMT, "tanggal_sk": EVENT, "tmt_pelantikan": TMT},
    "riwayat_pendidikan": {"tanggal_lulus": EVENT, "tahun_lulus": YEAR},
    "riwayat_diklat": {"tanggal_mulai": EVENT, "tanggal_selesai": EVENT, "tahun": YEAR},
    "penghargaan": {"tanggal_sk": EVENT, "tahun": YEAR},
    "riwayat_skp": {"tahun": YEAR},
    "hukuman_disiplin": {"tanggal_sk": EVENT, "tanggal_hukuman": EVENT, "tanggal_pembatalan": EVENT},
    "organisasi": {"tahun_mulai": YEAR, "tahun_selesai": YEAR},
    "kompetensi": {"tahun": YEAR},
    "pasangan": {"tanggal_lahir": EVENT, "tanggal_menikah": EVENT, "tanggal_cerai": EVENT},
    "anak": {"tanggal_lahir": EVENT},
    "orang_tua": {"tanggal_lahir": EVENT},
    "perumahan": {"tahun": YEAR},
}
# Career rows: none may begin before the TMT CPNS (education and organisations during school
# are excepted, as are the family sections). The first column named is the row's start.
CAREER_START = {
    "riwayat_golongan": "tmt_golongan",
    "riwayat_jabatan": "tmt_jabatan",
    "riwayat_diklat": "tanggal_mulai",
    "penghargaan": "tanggal_sk",
    "riwayat_skp": "tahun",
    "hukuman_disiplin": "tanggal_hukuman",
}
# Data-utama career dates that may not precede the TMT CPNS.
UTAMA_AFTER_CPNS = ("tmt_pns", "tmt_golongan", "tmt_jabatan")
# Pairs (start, end) of one row: the end may not come before the start.
PERIODS = {
    "riwayat_jabatan": ("tmt_jabatan", "tmt_selesai"),
    "riwayat_diklat": ("tanggal_mulai", "tanggal_selesai"),
    "organisasi": ("tahun_mulai", "tahun_selesai"),
    "pasangan": ("tanggal_menikah", "tanggal_cerai"),
    "hukuman_disiplin": ("tanggal_hukuman", "akhir_hukuman"),
}

_future = rule("date.future", "dates", ERROR, _l("cannot be in the future."))
_tmt_ahead = rule("date.tmt_ahead", "dates", ERROR, _l("is too far in the future."))
_year_ahead = rule("date.year_ahead", "dates", ERROR, _l("cannot be after this year."))
_before_cpns = rule("date.before_cpns", "dates", ERROR, _l("cannot be before the TMT CPNS."))
_cpns_age = rule("date.cpns_age", "dates", ERROR, _l("must be on or after the 18th birthday."))
_before_birth = rule("date.before_school_age", "dates", ERROR, _l("is before the sixth birthday of the PNS."))
_period = rule("date.period", "dates", ERROR, _l("ends before it starts."))


def _day(value):
    """A comparable date of a date column or the 1 January of a year column."""
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.date(value, 1, 1) if 1 <= value <= 9999 else None
    return as_date(value)


def check_row_dates(section: str, row: dict, today=None) -> list:
    """Nothing in the future that cannot be: every date/year column of `row` by its kind."""
    today = today or dt.date.today()
    errors = []
    for name, kind in DATE_FIELDS.get(section, {}).items():
        value = row.get(name)
        if value is None:
            continue
        if kind == YEAR:
            if isinstance(value, int) and value > today.year:
                errors.append(_year_ahead(name))
        elif (day := as_date(value)) is not None:
            if kind == EVENT and day > today:
                errors.append(_future(name))
            elif kind == TMT and day > today + dt.timedelta(days=TMT_AHEAD_DAYS):
                errors.append(_tmt_ahead(name))
    period = PERIODS.get(section)
    if period:
        start, end = _day(row.get(period[0])), _day(row.get(period[1]))
        if start is not None and end is not None and end < start:
            errors.append(_period(period[1]))
    return errors


def check_career_start(section: str, row: dict, utama: dict) -> list:
    """A career row may not begin before the PNS's TMT CPNS (nor before he could be CPNS);
    an education row not before the PNS was six."""
    born, tmt_cpns = as_date(utama.get("tanggal_lahir")), as_date(utama.get("tmt_cpns"))
    if section == "riwayat_pendidikan":
        graduated = _day(row.get("tanggal_lulus")) or _day(row.get("tahun_lulus"))
        if born and graduated and graduated < add_years(born, MIN_GRADUATION_AGE_YEARS).replace(month=1, day=1):
            return [_before_birth("tanggal_lulus" if row.get("tanggal_lulus") else "tahun_lulus")]
        return []
    name = CAREER_START.get(section)
    start = _day(row.get(name)) if name else None
    if start is None or tmt_cpns is None:
        return []
    # A year column (SKP) compares with the TMT CPNS's year.
    if isinstance(row.get(name), int):
        return [_before_cpns(name)] if start.year < tmt_cpns.year else []
    return [_before_cpns(name)] if start < tmt_cpns else []


def check_dates(tanggal_lahir, tmt_cpns=None, tmt_pns=None, today=None) -> list:
    """The data-utama career dates: birth not in the future, CPNS from the 18th birthday (and
    at most a year ahead), PNS not before CPNS."""
    utama = {"tanggal_lahir": tanggal_lahir, "tmt_cpns": tmt_cpns, "tmt_pns": tmt_pns}
    return check_utama_dates(utama, today=today)


def check_utama_dates(utama: dict, today=None) -> list:
    """Every date of the data utama: by kind (`DATE_FIELDS`), the CPNS age, and the career
    dates (TMT PNS, golongan, jabatan) not before the TMT CPNS."""
    errors = check_row_dates("data_utama", utama, today=today)
    born, tmt_cpns = as_date(utama.get("tanggal_lahir")), as_date(utama.get("tmt_cpns"))
    if born is not None and tmt_cpns is not None and tmt_cpns < add_years(born, MIN_CPNS_AGE_YEARS):
        errors.append(_cpns_age("tmt_cpns"))
    for name in UTAMA_AFTER_CPNS:
        day = as_date(utama.get(name))
        if day is not None and tmt_cpns is not None and day < tmt_cpns:
            errors.append(_before_cpns(name))
    return errors
