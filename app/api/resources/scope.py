"""What a caller may read and filter: his scope, NIK for national callers only, and the filter
operators each resource allows, with the values checked before FAB builds a query of them.

The rows are scoped by the same ScopeFilter as the screens (services.scope through
views.base); history rows through their Pegawai. NIK (of the PNS, his spouse, his children)
goes to national callers only (BPJS, Taspen match people by NIK); an agency-scoped client
gets null and may not filter on it.
"""

import datetime as dt
import math
import re

from flask import g
from flask_appbuilder.const import API_FILTERS_RES_KEY, API_FILTERS_RIS_KEY
from flask_appbuilder.exceptions import FABException

from ...roles import ROLE_ADMIN, ROLE_INTEGRASI
from ...views.base import ScopeFilter

MAX_IN_VALUES = 100
MAX_TEXT_VALUE = 200
INT_MAX = 2**31 - 1  # every id and integer column is a 32-bit INTEGER
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?")
LIST_OPERATORS = ("in", "not_in")


def may_read_nik(user) -> bool:
    """NIK goes to Admin and to national integration clients only (no scope set on the key's
    owner: BPJS, Taspen); an instansi's or Kanreg's client gets null."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(ROLE_ADMIN):
        return True
    national = not (user.kanreg_id or user.instansi_id or user.unit_kerja_id)
    return user.has_role(ROLE_INTEGRASI) and national


class BadFilter(FABException):
    """A filter, sort or page argument the API refuses (answered with 400)."""


def _iso_value(value, pattern, parse) -> bool:
    """`value` is a string of `pattern` that `parse` (date/datetime.fromisoformat) accepts:
    the pattern keeps out the forms Python reads but the databases do not agree on."""
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        return False
    try:
        parse(value)
    except ValueError:
        return False
    return True


def check_filter_value(datamodel, col, value) -> None:
    """Raise BadFilter unless `value` fits column `col` of `datamodel`: FAB would pass a wrong
    type, an out-of-range integer or a NUL byte to the database and answer 500."""
    if isinstance(value, bool):
        ok = datamodel.is_boolean(col)
    elif datamodel.is_relation(col) or datamodel.is_integer(col):
        ok = isinstance(value, int) and 0 <= value <= INT_MAX
    elif datamodel.is_date(col):
        ok = _iso_value(value, _DATE, dt.date.fromisoformat)
    elif datamodel.is_datetime(col):
        ok = _iso_value(value, _DATETIME, dt.datetime.fromisoformat)
    elif datamodel.is_numeric(col) or datamodel.is_float(col):
        ok = isinstance(value, (int, float)) and math.isfinite(value)
    elif datamodel.is_string(col) or datamodel.is_text(col):
        ok = isinstance(value, str) and 0 < len(value) <= MAX_TEXT_VALUE and "\x00" not in value
    else:
        ok = False
    if not ok:
        raise BadFilter(f"Filter value not valid for column: {col}")


class ScopeRules:
    """The scope and filter part of ReadOnlyApi (a mixin before ModelRestApi): rows in the
    caller's scope, the filters of `filter_ops` only, NIK columns null for whoever may not
    read NIK."""

    base_filters = [["id", ScopeFilter, lambda: None]]
    #: column -> filter operators a client may use (`q=(filters:!((col:…,opr:…,value:…)))`)
    filter_ops: dict[str, tuple[str, ...]] = {}
    #: columns holding a NIK: null and unfilterable for callers who may not read NIK
    nik_columns: tuple[str, ...] = ()

    def _handle_filters_args(self, rison_args):
        for flt in rison_args.get(API_FILTERS_RIS_KEY, []):
            col, opr, value = flt["col"], flt["opr"], flt["value"]
            if opr not in self.filter_ops.get(col, ()):
                raise BadFilter(f"Filter operation: {opr} not allowed on column: {col}")
            if col in self.nik_columns and not may_read_nik(g.user):
                raise BadFilter(f"Filter column: {col} not allowed to filter")
            if opr in LIST_OPERATORS:
                if not isinstance(value, list) or not 1 <= len(value) <= MAX_IN_VALUES:
                    raise BadFilter(f"Filter {opr} needs a list of 1 to {MAX_IN_VALUES} values")
                for item in value:
                    check_filter_value(self.datamodel, col, item)
            else:
                check_filter_value(self.datamodel, col, value)
        return super()._handle_filters_args(rison_args)

    def _clean_rows(self, rows):
        """Null the NIK columns of `rows` (response dicts) unless the caller may read NIK."""
        if self.nik_columns and not may_read_nik(g.user):
            for row in rows:
                for col in self.nik_columns:
                    if col in row:
                        row[col] = None

    def merge_allowed_filters(self, response, **kwargs):
        """The filters a client may use: column -> operators (FAB's `filters` key)."""
        nik_ok = may_read_nik(g.user)
        response[API_FILTERS_RES_KEY] = {
            col: [{"name": op, "operator": op} for op in ops]
            for col, ops in self.filter_ops.items()
            if nik_ok or col not in self.nik_columns
        }
