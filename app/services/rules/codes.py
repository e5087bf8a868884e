"""Coded fields hold a code of their enum (models.codes): `code.unknown` otherwise.

The forms and the workflow refuse any other value, so what this finds are values stored
before the fields were choices (the data migration could not map them, and logged them) or
written by a path that skips the forms; the data-quality report lists them, and Kirim and
the staff forms refuse a record that still holds one until a code is chosen."""

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from ...models import codes
from .core import ERROR, RuleError, rule

unknown_code = rule("code.unknown", "codes", ERROR, _l("is not one of the codes of this field."))
CODE_UNKNOWN = unknown_code.code


def check_codes(section: str, row) -> list[RuleError]:
    """`code.unknown` for each coded field of `row` (a mapping of field values, or a model
    instance) whose value is not a code of its enum. No value is left to the required-field
    rules; fields that are not coded are not looked at."""
    fields = codes.CODED_FIELDS.get(section, {})
    errors = []
    for name, enum in fields.items():
        value = row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not codes.is_code(enum, value):
            allowed = ", ".join(codes.ENUMS[enum])
            message = _l("“%(value)s” is not one of the codes %(codes)s.", value=value, codes=allowed)
            errors.append(unknown_code(name, message))
    return errors
