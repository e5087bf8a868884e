"""What a rule returns and the catalogue of every named rule.

A rule is a plain function over plain values (dicts of model column values, dates); it never
reads the database or the request, so the draft, the staff forms, the import, the apply step
and the data-quality report can all call the same function. Each finding names its rule
(`code`), how bad it is (`severity`) and where it sits (`section`, `row`, `field`).
"""

import datetime as dt
import re
from dataclasses import dataclass

from flask import has_app_context
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

ERROR = "error"  # impossible: refused on every path
WARNING = "warning"  # implausible but possible: shown to the verifier, never blocks
SEVERITIES = (ERROR, WARNING)

# `\d` matches every Unicode digit (Arabic-Indic, full-width…); identifiers are ASCII only.
# `fullmatch` rather than `$`, which would accept a trailing newline.
_ASCII_DIGITS = {n: re.compile(f"[0-9]{{{n}}}") for n in (9, 16, 18)}

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
    """One finding: `field` and `message` for the form, `code` for reports and tests."""

    field: str
    message: str
    severity: str = ERROR
    code: str = ""
    section: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        label = FIELD_LABELS.get(self.field, self.field)
        return f"{label}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def at(self, section=None, row=None) -> "RuleError":
        """The same finding placed in a section (and row) of a record."""
        return RuleError(self.field, self.message, self.severity, self.code, section or self.section, row)


@dataclass(frozen=True)
class Rule:
    """A named rule as the data-quality report and docs/rules.md list it."""

    code: str
    family: str
    severity: str
    description: object  # lazy_gettext string


CATALOGUE: dict[str, Rule] = {}


def rule(code: str, family: str, severity: str, description):
    """Register a rule under `code` and return a maker of its findings:
    `finding(field, message, **kw)` builds a RuleError carrying the rule's code and severity."""
    if code in CATALOGUE:
        raise ValueError(f"rule {code} registered twice")
    CATALOGUE[code] = Rule(code, family, severity, description)

    def finding(field, message=None, **kw) -> RuleError:
        return RuleError(field, message if message is not None else description, severity, code, **kw)

    finding.code = code
    return finding


def blocking(findings) -> list[RuleError]:
    """The findings that refuse a write (errors); warnings are left to the verifier."""
    return [f for f in findings if f.severity == ERROR]


def warnings(findings) -> list[RuleError]:
    """The findings shown to the verifier but never blocking."""
    return [f for f in findings if f.severity == WARNING]


def is_ascii_digits(value: str, length: int) -> bool:
    """True when `value` is exactly `length` ASCII digits, nothing before or after."""
    pattern = _ASCII_DIGITS.get(length) or re.compile(f"[0-9]{{{length}}}")
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def date_or_none(year: int, month: int, day: int):
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


def age_on(born: dt.date, day: dt.date) -> int:
    """Full years of a person born on `born` on the date `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def as_date(value):
    """A date from a date or a datetime; anything else (None, text) is None."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


class Day:
    """A date inside a message, written as the reader's language writes it ("1 Oktober 2007")
    when the message is shown; outside the app (a bare unit test) as ISO."""

    def __init__(self, value: dt.date):
        self.value = value

    def __str__(self) -> str:
        if has_app_context():
            return format_date(self.value, "d MMMM y")
        return self.value.isoformat()
