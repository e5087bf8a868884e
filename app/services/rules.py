"""Domain rules for personnel data, shared by forms, import and submissions.

Each check returns a list of `RuleError(field, message)`; an empty list means valid.
Messages are translatable and name the field (Indonesian is the default locale).
"""

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# `\d` matches every Unicode digit (Arabic-Indic, full-width…); identifiers are ASCII only.
# `fullmatch` rather than `$`, which would accept a trailing newline.
_ASCII_DIGITS = {n: re.compile(f"[0-9]{{{n}}}") for n in (9, 16, 18)}
MIN_CPNS_AGE_YEARS = 18
NIK_FEMALE_DAY_OFFSET = 40
NIP_GENDER_DIGIT = {"L": "1", "P": "2"}

FIELD_LABELS = {
    "nip": _l("NIP"),
    "nip_lama": _l("Old NIP"),
    "nik": _l("NIK"),
    "nama": _l("Name"),
    "tanggal_lahir": _l("Date of birth"),
    "jenis_kelamin": _l("Gender"),
    "tmt_cpns": _l("TMT CPNS"),
    "tmt_pns": _l("TMT PNS"),
    "tmt_golongan": _l("TMT golongan"),
    "golongan": _l("Golongan"),
    "tmt_jabatan": _l("TMT jabatan"),
    "email": _l("Email"),
    "status": _l("Status"),
    "gelar_depan": _l("Title before name"),
    "gelar_belakang": _l("Title after name"),
}


@dataclass(frozen=True)
class RuleError:
    field: str
    message: str

    def __str__(self) -> str:
        label = FIELD_LABELS.get(self.field, self.field)
        return f"{label}: {self.message}"


def is_ascii_digits(value: str, length: int) -> bool:
    """True when `value` is exactly `length` ASCII digits, nothing before or after."""
    pattern = _ASCII_DIGITS.get(length) or re.compile(f"[0-9]{{{length}}}")
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _date_or_none(year: int, month: int, day: int):
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def add_years(day: dt.date, years: int) -> dt.date:
    """Same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_nip(nip, tanggal_lahir=None, jenis_kelamin=None, tmt_cpns=None) -> list[RuleError]:
    """NIP = birth date YYYYMMDD + TMT CPNS YYYYMM + gender (1/2) + 3-digit sequence."""
    if not is_ascii_digits(nip, 18):
        return [RuleError("nip", _l("must be exactly 18 digits 0-9."))]
    errors = []
    born = _date_or_none(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    if born is None:
        errors.append(RuleError("nip", _l("digits 1-8 are not a valid birth date (YYYYMMDD).")))
    elif tanggal_lahir is not None and born != tanggal_lahir:
        errors.append(RuleError("nip", _l("digits 1-8 do not match the date of birth.")))
    month = int(nip[12:14])
    if not 1 <= month <= 12:
        errors.append(RuleError("nip", _l("digits 9-14 are not a valid TMT CPNS (YYYYMM).")))
    elif tmt_cpns is not None and (int(nip[8:12]), month) != (tmt_cpns.year, tmt_cpns.month):
        errors.append(RuleError("nip", _l("digits 9-14 do not match the TMT CPNS.")))
    if nip[14] not in "12":
        errors.append(RuleError("nip", _l("digit 15 must be 1 (male) or 2 (female).")))
    elif jenis_kelamin in NIP_GENDER_DIGIT and nip[14] != NIP_GENDER_DIGIT[jenis_kelamin]:
        errors.append(RuleError("nip", _l("digit 15 does not match the gender.")))
    if nip[15:18] == "000":
        errors.append(RuleError("nip", _l("the sequence number (digits 16-18) starts at 001.")))
    return errors


def check_nik(nik, tanggal_lahir=None, jenis_kelamin=None) -> list[RuleError]:
    """NIK = 6-digit region + DDMMYY (day + 40 for women) + 4-digit sequence."""
    if not is_ascii_digits(nik, 16):
        return [RuleError("nik", _l("must be exactly 16 digits 0-9."))]
    errors = []
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > NIK_FEMALE_DAY_OFFSET
    real_day = day - NIK_FEMALE_DAY_OFFSET if female else day
    # YY has no century: 2000 + YY is a leap year exactly when some century makes 29-02-YY real
    # (00 included, for 2000), so this refuses 31-02 and 29-02-99 but accepts 29-02-00.
    if _date_or_none(2000 + yy, month, real_day) is None:
        errors.append(RuleError("nik", _l("digits 7-12 are not a valid birth date (DDMMYY).")))
    else:
        if tanggal_lahir is not None and (real_day, month, yy) != (
            tanggal_lahir.day,
            tanggal_lahir.month,
            tanggal_lahir.year % 100,
        ):
            errors.append(RuleError("nik", _l("digits 7-12 do not match the date of birth.")))
        if jenis_kelamin in NIP_GENDER_DIGIT and female != (jenis_kelamin == "P"):
            errors.append(RuleError("nik", _l("the birth day does not match the gender (women: day + 40).")))
    if nik[12:16] == "0000":
        errors.append(RuleError("nik", _l("the sequence number (digits 13-16) starts at 0001.")))
    return errors


def check_dates(tanggal_lahir, tmt_cpns=None, tmt_pns=None, today=None) -> list[RuleError]:
    """Date sanity: nothing in the future, CPNS from the 18th birthday, PNS after CPNS."""
    today = today or dt.date.today()
    errors = []
    if tanggal_lahir is not None and tanggal_lahir > today:
        errors.append(RuleError("tanggal_lahir", _l("cannot be in the future.")))
    if tmt_cpns is not None:
        if tmt_cpns > today + dt.timedelta(days=366):
            errors.append(RuleError("tmt_cpns", _l("is too far in the future.")))
        if tanggal_lahir is not None and tmt_cpns < add_years(tanggal_lahir, MIN_CPNS_AGE_YEARS):
            errors.append(RuleError("tmt_cpns", _l("must be on or after the 18th birthday.")))
    if tmt_pns is not None and tmt_cpns is not None and tmt_pns < tmt_cpns:
        errors.append(RuleError("tmt_pns", _l("cannot be before the TMT CPNS.")))
    return errors


# An academic or religious title ("Dr.", "Hj.", "S.Kom., M.T."): letters, then letters, dots,
# commas, spaces and hyphens, no longer than its column. Nothing else is ever part of a title.
_GELAR = re.compile(r"[A-Za-z][A-Za-z., -]*")
GELAR_MAX_LENGTH = {"gelar_depan": 30, "gelar_belakang": 60}


def check_gelar(field: str, value) -> list[RuleError]:
    """A title before or after the name (`field` gelar_depan/gelar_belakang); empty is valid."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    limit = GELAR_MAX_LENGTH[field]
    if not isinstance(value, str) or _GELAR.fullmatch(value.strip()) is None:
        return [
            RuleError(field, _l("may contain only letters, dots, commas, spaces and hyphens, e.g. Dr. or S.Kom., M.T."))
        ]
    if len(value.strip()) > limit:
        return [RuleError(field, _l("is longer than %(n)d characters.", n=limit))]
    return []


# The rule of one field, by field name, wherever that field is entered: the staff forms
# (Pegawai and its history rows), the import, and a PNS's proposed change.
FIELD_RULES = {"gelar_depan": check_gelar, "gelar_belakang": check_gelar}


def check_fields(values: dict) -> list[RuleError]:
    """The FIELD_RULES errors of every field in `values` that has a rule."""
    errors = []
    for name, value in values.items():
        rule = FIELD_RULES.get(name)
        if rule is not None:
            errors += rule(name, value)
    return errors


def check_pegawai(data: dict, today=None) -> list[RuleError]:
    """All data-utama rules for one record given as a dict of model field values."""
    errors = []
    born, gender, tmt_cpns = data.get("tanggal_lahir"), data.get("jenis_kelamin"), data.get("tmt_cpns")
    if gender not in ("L", "P"):
        errors.append(RuleError("jenis_kelamin", _l("must be L (male) or P (female).")))
        gender = None
    if not (data.get("nama") or "").strip():
        errors.append(RuleError("nama", _l("is required.")))
    # Without these the NIP and NIK could not be checked against each other.
    for field in ("tanggal_lahir", "tmt_cpns"):
        if data.get(field) is None:
            errors.append(RuleError(field, _l("is required.")))
    errors += check_nip(data.get("nip"), born, gender, tmt_cpns)
    if data.get("nik"):
        errors += check_nik(data["nik"], born, gender)
    if data.get("nip_lama") and not is_ascii_digits(data["nip_lama"], 9):
        errors.append(RuleError("nip_lama", _l("must be exactly 9 digits 0-9.")))
    errors += check_dates(born, tmt_cpns, data.get("tmt_pns"), today=today)
    errors += check_fields({name: data[name] for name in FIELD_RULES if name in data})
    return errors


def check_golongan_history(rows) -> list[RuleError]:
    """Rows of (golongan tingkat, TMT, kode) must ascend in rank and in TMT together.

    Rows missing a rank or TMT are skipped (those are required-field errors of the form).
    Each row is compared with the highest rank before it, not only with its neighbour, so
    every out-of-order row is reported at once.
    """
    errors = []
    ordered = sorted((r for r in rows if r[0] is not None and r[1] is not None), key=lambda r: (r[1], r[0]))
    highest = None
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        highest = prev if highest is None or prev[0] > highest[0] else highest
        if cur[1] == prev[1]:
            errors.append(
                RuleError(
                    "golongan",
                    _l(
                        "%(later)s and %(earlier)s have the same TMT (%(tmt)s).",
                        later=cur[2],
                        earlier=prev[2],
                        tmt=cur[1].isoformat(),
                    ),
                )
            )
        elif cur[0] <= highest[0]:
            errors.append(
                RuleError(
                    "golongan",
                    _l(
                        "%(later)s (TMT %(tmt)s) is not higher than %(earlier)s.",
                        later=cur[2],
                        tmt=cur[1].isoformat(),
                        earlier=highest[2],
                    ),
                )
            )
    return errors


def check_jabatan_history(rows) -> list[RuleError]:
    """Rows of (start, end or None, name) may not overlap; an open row ends at the next start.

    A row may end on the day the next one starts. Rows without a start are skipped (a
    required-field error of the form). Each row is compared with the previous row that
    reaches furthest, so a short row inside a long one does not hide later overlaps.
    """
    errors = []
    ordered = sorted((r for r in rows if r[0] is not None), key=lambda r: r[0])
    for row in ordered:
        if row[1] is not None and row[1] < row[0]:
            errors.append(RuleError("tmt_jabatan", _l("%(name)s ends before it starts.", name=row[2])))
    furthest = None  # (end, row) of the previous row reaching furthest; open rows end at the next start
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        prev_end = prev[1] if prev[1] is not None else cur[0]
        if furthest is None or prev_end > furthest[0]:
            furthest = (prev_end, prev)
        if prev[0] == cur[0]:
            errors.append(
                RuleError(
                    "tmt_jabatan",
                    _l("%(later)s and %(earlier)s start on the same day.", later=cur[2], earlier=prev[2]),
                )
            )
        elif furthest[0] > cur[0]:
            errors.append(
                RuleError(
                    "tmt_jabatan",
                    _l("%(later)s starts before %(earlier)s ends.", later=cur[2], earlier=furthest[1][2]),
                )
            )
    return errors


def make_nip(tanggal_lahir: dt.date, tmt_cpns: dt.date, jenis_kelamin: str, sequence: int) -> str:
    """Build a NIP from its parts (seeding, tests)."""
    gender = NIP_GENDER_DIGIT.get(jenis_kelamin, "2")
    born, tmt = tanggal_lahir, tmt_cpns
    return f"{born.year:04d}{born.month:02d}{born.day:02d}{tmt.year:04d}{tmt.month:02d}{gender}{sequence:03d}"


def make_nik(region: str, tanggal_lahir: dt.date, jenis_kelamin: str, sequence: int) -> str:
    """Build a NIK from its parts (seeding, tests)."""
    day = tanggal_lahir.day + (NIK_FEMALE_DAY_OFFSET if jenis_kelamin == "P" else 0)
    return f"{region}{day:02d}{tanggal_lahir:%m%y}{sequence:04d}"
