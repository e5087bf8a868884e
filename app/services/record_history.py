"""The history of an official record ("riwayat perubahan"): one RecordChange per changed field,
old and new value, written by every path that changes the record:

- a verified Usulan (workflow.apply, source "usulan");
- a staff edit in the Pegawai screens (`staff_added` / `staff_updated` / `staff_deleted`,
  called from the views' pre_* hooks, source "staff"): written in the transaction FAB commits,
  and the Pegawai's record_version is bumped so an open submission based on the old record
  shows a conflict to its verifier;
- `pupns import-pegawai` (services.importer, source "import", no actor).

`history()` reads it back for the screens, values as people read them (workflow.display_value).
The functions that write never commit: the caller's transaction does.
"""

import datetime as dt
import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, or_, select

from ..models import Pegawai
from ..models.submission import RecordChange
from ..models.user import PupnsUser
from . import workflow

PER_PAGE = 50
SOURCE_LABELS = {
    RecordChange.SOURCE_USULAN: _l("Verified submission"),
    RecordChange.SOURCE_STAFF: _l("Staff edit"),
    RecordChange.SOURCE_IMPORT: _l("Data import"),
}
# Columns that are not part of what a record says (the owner is handled on its own).
_UNTRACKED = frozenset({"id", "pegawai_id", "created_at", "updated_at", "record_version"})
_BEFORE = "_pupns_history_before"


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryEntry:
    """One changed field as the history pages print it (`old`/`new` already as text, "" for
    no value); `changed_at` is UTC."""

    id: int
    changed_at: dt.datetime
    section: str
    section_label: object
    row_id: int | None
    field: str
    field_label: object
    old: str
    new: str
    source: str
    source_label: object
    usulan_id: int | None
    actor_name: str | None


@dataclass(frozen=True)
class HistoryPage:
    entries: list
    total: int
    page: int
    pages: int


def _decode(section, name, text):
    """A stored JSON value as the Python value of its column (as it was when written)."""
    if text is None:
        return None
    value = json.loads(text)
    model = Pegawai if section == workflow.DATA_UTAMA else workflow.CHILD_MODELS.get(section)
    column = model.__table__.columns.get(name) if model is not None else None
    if column is None:
        return value
    try:
        return workflow.coerce(column, value, clean=False)
    except workflow.InvalidValue:
        return value


def _as_is(_field, text):
    return text


def history(
    session,
    pegawai_id: int,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    since=None,
    exclude_usulan_id: int | None = None,
    redact=_as_is,
) -> HistoryPage:
    """The changes of one Pegawai's official record, newest first, one page. `since` (UTC)
    keeps the later ones; `exclude_usulan_id` leaves out those applied by that Usulan. Three
    queries (count, rows with the actor's name, referenced names), whatever the page size;
    the caller checks that the user may see this Pegawai and passes `redact(field, text)`
    (views.privacy.redactor) for what the user may not read in full."""
    where = [RecordChange.pegawai_id == pegawai_id]
    if since is not None:
        where.append(RecordChange.changed_at >= since)
    if exclude_usulan_id is not None:
        where.append(or_(RecordChange.usulan_id.is_(None), RecordChange.usulan_id != exclude_usulan_id))
    total = session.scalar(select(func.count()).select_from(RecordChange).where(*where))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(RecordChange, PupnsUser.username)
        .outerjoin(PupnsUser, PupnsUser.id == RecordChange.actor_id)
        .where(*where)
        .order_by(RecordChange.changed_at.desc(), RecordChange.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    decoded = [
        (
            change,
            username,
            _decode(change.section, change.field, change.old_value),
            _decode(change.section, change.field, change.new_value),
        )
        for change, username in rows
    ]
    workflow.prime_display((c.section, c.field, v) for c, _, old, new in decoded for v in (old, new))
    entries = [
        HistoryEntry(
            id=change.id,
            changed_at=change.changed_at,
            section=change.section,
            section_label=workflow.SECTION_LABELS.get(change.section, change.section),
            row_id=change.row_id if change.section != workflow.DATA_UTAMA else None,
            field=change.field,
            field_label=workflow.field_label(change.field),
            old=redact(change.field, workflow.display_value(change.section, change.field, old)),
            new=redact(change.field, workflow.display_value(change.section, change.field, new)),
            source=change.source,
            source_label=SOURCE_LABELS.get(change.source, change.source),
            usulan_id=change.usulan_id,
            actor_name=username,
        )
        for change, username, old, new in decoded
    ]
    return HistoryPage(entries, total, page, pages)


# --------------------------------------------------------------------------------------------
# Staff edits (PegawaiView and its history/family views)
# --------------------------------------------------------------------------------------------
def section_of(row) -> str:
    """The workflow section a Pegawai (data utama) or history/family row belongs to."""
    return workflow.DATA_UTAMA if isinstance(row, Pegawai) else row.__tablename__


def _owner_id(row):
    return row.id if isinstance(row, Pegawai) else row.pegawai_id


def tracked_values(row) -> dict:
    """What the row says: every column but its keys, owner and timestamps."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in _UNTRACKED}


def remember(row) -> None:
    """Keep the row's stored values before a form is copied onto it (call it before FAB's
    populate_obj: a query afterwards may flush the form's values, and the old ones are gone)."""
    setattr(row, _BEFORE, (_owner_id(row), tracked_values(row)))


def _bump(session, pegawai_id) -> None:
    pegawai = session.get(Pegawai, pegawai_id)
    if pegawai is not None:
        pegawai.record_version = (pegawai.record_version or 0) + 1


def _record(session, actor, row, owner_id, old, new) -> int:
    count = workflow.record_changes(
        session, owner_id, section_of(row), row.id, old, new, actor=actor, source=RecordChange.SOURCE_STAFF
    )
    if count:
        _bump(session, owner_id)
    return count


def staff_added(session, actor, row) -> int:
    """A history/family row added by staff: flushed (for its id) with one RecordChange per
    value and the Pegawai's record_version bumped. Raises SQLAlchemyError if the database
    refuses the row. Returns the number of changes."""
    session.add(row)
    session.flush()
    return _record(session, actor, row, _owner_id(row), {}, tracked_values(row))


def staff_updated(session, actor, row) -> int:
    """A Pegawai or history/family row edited by staff (`remember` was called before the form
    was copied onto it): flushed, one RecordChange per changed value, record_version bumped
    only if something changed (a row moved to another Pegawai counts as removed from one and
    added to the other). Raises SQLAlchemyError if the database refuses the change."""
    before = getattr(row, _BEFORE, None)
    if before is None:
        raise RuntimeError("record_history.remember() was not called before the edit")
    old_owner, old = before
    session.flush()  # relationships chosen in the form reach their _id columns
    new_owner, new = _owner_id(row), tracked_values(row)
    delattr(row, _BEFORE)
    if old_owner == new_owner:
        return _record(session, actor, row, new_owner, old, new)
    return _record(session, actor, row, old_owner, old, {}) + _record(session, actor, row, new_owner, {}, new)


def staff_deleted(session, actor, row) -> int:
    """A history/family row deleted by staff: its values as removed, record_version bumped."""
    return _record(session, actor, row, _owner_id(row), tracked_values(row), {})


# --------------------------------------------------------------------------------------------
# Bulk (the import)
# --------------------------------------------------------------------------------------------
def insert_change_rows(session, rows: list[dict]) -> None:
    """Insert RecordChange rows made by workflow.change_rows in one statement."""
    if rows:
        session.execute(insert(RecordChange), rows)
