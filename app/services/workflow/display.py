"""Values as people read them (diffs, conflicts, record history, printouts): the name of a
referenced row, a date in Indonesian, a choice by its label. The only room of the package that
touches `request`/`g`: reference names are cached per request."""

import datetime as dt
from decimal import Decimal

from flask import g, has_app_context, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...i18n import format_angka, format_tanggal
from ...models import Pegawai, codes
from .catalogue import CHILD_MODELS, DATA_UTAMA, model_of_table, section_enum

# Reference tables hold tens of rows: the first lookup loads the whole table, so a page costs
# at most one query per table however many values it shows. Other referenced tables
# (instansi, unit kerja, dokumen) are read by id; prime_display reads a list in one query.
_WHOLE_TABLES = frozenset(
    {"golongan", "tingkat_pendidikan", "agama", "status_perkawinan", "jenis_jabatan", "jenis_diklat"}
)


class ReferenceNames:
    """Display names (str(row)) of referenced rows by table and id, read at most once."""

    def __init__(self, session):
        self.session = session
        self.names: dict[str, dict] = {}
        self.whole: set[str] = set()

    def load(self, table: str, ids) -> None:
        """Read the names of `ids` of `table` that are not known yet (one query at most)."""
        model = model_of_table(table)
        known = self.names.setdefault(table, {})
        if model is None:
            return
        if table in _WHOLE_TABLES and table not in self.whole:
            self.whole.add(table)
            known.update({row.id: str(row) for row in self.session.scalars(select(model))})
        missing = {i for i in ids if i not in known}
        if missing:
            found = {row.id: str(row) for row in self.session.scalars(select(model).where(model.id.in_(missing)))}
            # A row gone since (or a bad id) is shown as the id itself, and not looked up again.
            known.update({i: found.get(i) for i in missing})

    def name(self, table: str, key) -> str | None:
        self.load(table, [key])
        return self.names[table].get(key)


def reference_names() -> ReferenceNames:
    """The ReferenceNames of the current request (of the app context outside a request)."""
    holder = request if has_request_context() else g if has_app_context() else None
    names = getattr(holder, "_pupns_reference_names", None) if holder is not None else None
    if names is None:
        names = ReferenceNames(db.session)
        if holder is not None:
            holder._pupns_reference_names = names
    return names


def _reference_table(section, name) -> str | None:
    """The table a field of a section refers to, None for a plain value (or unknown field)."""
    model = Pegawai if section == DATA_UTAMA else CHILD_MODELS.get(section)
    column = model.__table__.columns.get(name) if model is not None else None
    fk = next(iter(column.foreign_keys), None) if column is not None else None
    return fk.column.table.name if fk is not None else None


def _reference_key(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def prime_display(triples) -> None:
    """Read the names of every referenced row among `(section, field, value)` triples, one
    query per table, before a list is printed with display_value (no query per row)."""
    wanted: dict[str, set] = {}
    for section, name, value in triples:
        table = _reference_table(section, name)
        key = _reference_key(value) if table is not None else None
        if key is not None:
            wanted.setdefault(table, set()).add(key)
    names = reference_names()
    for table, ids in wanted.items():
        names.load(table, ids)


def display_value(section, name, value) -> str:
    """One field value as a user reads it: the name of a referenced row (golongan "III/c –
    Penata", jabatan, pendidikan, unit), a date in Indonesian, a choice by its label, Ya/Tidak;
    "" for no value. Reference names are read once per request (see ReferenceNames)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, (dt.date, dt.datetime)):
        return format_tanggal(value)
    enum = section_enum(section, name)
    if enum is not None:
        # A legacy value that is no code is shown as stored (check_codes reports it).
        return str(codes.label(enum, value))
    table = _reference_table(section, name)
    if table is not None:
        key = _reference_key(value)
        found = reference_names().name(table, key) if key is not None else None
        return found if found is not None else str(value)
    if isinstance(value, Decimal):
        return format_angka(value)
    return str(value)
