"""Proposed values between Python and JSON: `coerce` a form or stored value to its column's
type, `encode` it for the JSON of an UsulanItem, and read an item's values back. Pure
functions: no database, no request."""

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String

from ...models.submission import UsulanItem
from .catalogue import record_fields, section_column
from .errors import InvalidValue


def encode(value):
    """A column value as JSON-safe data (dates ISO, decimals as strings)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _normal(value):
    # An empty string and no value are the same thing to a user.
    return None if isinstance(value, str) and value.strip() == "" else value


def coerce(column, value, *, clean: bool = True):
    """`value` (from a form, or JSON) as the Python type of `column`; InvalidValue if it is not
    one. `clean` (user input): text is stripped and must fit the column; stored JSON is
    decoded with clean=False so a snapshot compares equal to the value it was taken from."""
    value = _normal(value)
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, DateTime):
            return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        if isinstance(kind, Date):
            if isinstance(value, dt.datetime):
                return value.date()
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        if isinstance(kind, Boolean):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "y", "ya", "on"):
                return True
            if text in ("0", "false", "n", "tidak", "off"):
                return False
            raise ValueError(value)
        if isinstance(kind, Numeric):
            if isinstance(value, bool):
                raise ValueError(value)
            number = Decimal(str(value).strip())
            if not number.is_finite():
                raise ValueError(value)
            return number
        if isinstance(kind, Integer):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if isinstance(kind, String):
            if not clean:
                return str(value)
            text = str(value).strip()
            if kind.length and len(text) > kind.length:
                raise InvalidValue(column.key, _l("is longer than %(n)d characters.", n=kind.length))
            return text
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise InvalidValue(column.key, _l("is not a valid value.")) from exc
    return value


def _decode_values(section, data: dict, *, clean: bool = False) -> dict:
    return {name: coerce(section_column(section, name), value, clean=clean) for name, value in data.items()}


def _dump(data: dict) -> str:
    return json.dumps({k: encode(v) for k, v in data.items()}, sort_keys=True)


def proposed_values(item: UsulanItem) -> dict:
    """The item's proposed values as Python values."""
    return _decode_values(item.section, json.loads(item.values_json or "{}"))


def snapshot_values(item: UsulanItem) -> dict:
    """The official values the item was proposed against, as Python values."""
    return _decode_values(item.section, json.loads(item.official_json or "{}"))


def row_values(section, row) -> dict:
    """The comparable values of one official row (or the Pegawai for data utama)."""
    return {name: _normal(getattr(row, name)) for name in record_fields(section)}
