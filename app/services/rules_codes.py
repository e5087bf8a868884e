"""Rule of the catalogue: a coded field holds a code of its enum (models.codes).

The forms and the workflow refuse any other value, so what this reports are values stored
before fields were choices (the data migration could not map them) or written by a path
that skips the forms; the data-quality report lists them."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import lazy_gettext as _l

from ..models import codes
from .rules import RuleError

CODE_UNKNOWN = "code.unknown"
_DATA_UTAMA = "data_utama"


@dataclass(frozen=True)
class UnknownCode(RuleError):
    """A RuleError with the catalogue's code and severity (RuleError has neither yet; at the
    merge into the rules package they become RuleError's own fields)."""

    code: ClassVar[str] = CODE_UNKNOWN
    severity: ClassVar[str] = "error"


def _table(section: str) -> str:
    # Data utama is the `pegawai` table; every other section is named after its table.
    return "pegawai" if section == _DATA_UTAMA else section


def check_codes(section: str, row) -> list[RuleError]:
    """A RuleError (code "code.unknown") for each coded field of `row` (a mapping of field
    values, or a model instance) whose value is not a code of its enum. No value is left
    to the required-field rules; fields that are not coded are not looked at."""
    table = _table(section)
    errors = []
    for (coded_table, name), enum in codes.CODED_COLUMNS.items():
        if coded_table != table:
            continue
        value = row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not codes.is_code(enum, value):
            allowed = ", ".join(codes.ENUMS[enum])
            message = _l("“%(value)s” is not one of the codes %(codes)s.", value=value, codes=allowed)
            errors.append(UnknownCode(name, message))
    return errors
