"""Reading a draft against the official record: the proposed state, the field-by-field diff,
the conflicts (official values changed since proposed) and `kirim_problems`, every reason
Kirim is refused. Reads only; never writes."""

import json
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...models import Pegawai
from ...models.submission import Usulan, UsulanItem
from .. import rules
from .catalogue import (
    _ROW_KEYS,
    _RULE_CHECKED,
    BKN_FIELDS,
    BKN_SECTIONS,
    CHILD_MODELS,
    DATA_UTAMA,
    SECTIONS,
    _model,
    section_fields,
)
from .errors import ConflictEntry, Problem
from .values import _decode_values, proposed_values, row_values, snapshot_values


def open_usulan(session, pegawai_id: int) -> Usulan | None:
    """The Pegawai's open (not selesai) Usulan, if any."""
    return session.scalar(select(Usulan).where(Usulan.pegawai_id == pegawai_id, Usulan.status != Usulan.SELESAI))


def _official_row(session, usulan, section, target_id):
    """The official row `target_id` of `section` if it belongs to the Usulan's Pegawai."""
    if section == DATA_UTAMA:
        return session.get(Pegawai, usulan.pegawai_id)
    row = session.get(CHILD_MODELS[section], target_id) if target_id is not None else None
    return row if row is not None and row.pegawai_id == usulan.pegawai_id else None


def official_rows(session, usulan, section):
    """The PNS's official rows of one history/family section."""
    model = CHILD_MODELS[section]
    return session.scalars(select(model).where(model.pegawai_id == usulan.pegawai_id).order_by(model.id)).all()


def proposed_state(session, usulan: Usulan, section: str):
    """What the record would look like with the draft applied.

    Data utama: one dict of field values. A history/family section: a list of dicts, one
    per row (official rows with changes, without removed ones, plus added ones), each with
    `id` (None for an added row) and `item_id` (the UsulanItem touching it, or None)."""
    items = [i for i in usulan.items if i.section == section]
    if section == DATA_UTAMA:
        pegawai = session.get(Pegawai, usulan.pegawai_id)
        values = row_values(section, pegawai)
        for item in items:
            values.update(proposed_values(item))
        return values
    by_target = {i.target_id: i for i in items if i.target_id is not None}
    rows = []
    for row in official_rows(session, usulan, section):
        item = by_target.get(row.id)
        if item is not None and item.operation == UsulanItem.OP_REMOVE:
            continue
        values = row_values(section, row)
        if item is not None:
            values.update(proposed_values(item))
        rows.append({**values, "id": row.id, "item_id": item.id if item else None})
    for item in items:
        if item.operation == UsulanItem.OP_ADD:
            values = dict.fromkeys(section_fields(section))
            values.update(proposed_values(item))
            rows.append({**values, "id": None, "item_id": item.id})
    return rows


@dataclass(frozen=True)
class FieldDiff:
    field: str
    official: object
    proposed: object
    conflict: bool = False


@dataclass
class RowDiff:
    """One proposed change, field by field, official value next to proposed value."""

    item_id: int
    section: str
    operation: str
    target_id: int | None
    fields: list[FieldDiff] = field(default_factory=list)
    dokumen_id: int | None = None
    verdict: str | None = None
    verdict_reason: str | None = None
    verdict_note: str | None = None
    verdict_level: str | None = None
    missing: bool = False  # the official row is gone (see conflicts())


def diff(session, usulan: Usulan) -> list[RowDiff]:
    """Every proposed change of `usulan`, section by section (in SECTIONS order), each with
    the current official and the proposed value of each field; added rows have no official
    values, removed rows no proposed ones."""
    conflicted = {(c.section, c.target_id, c.field) for c in conflicts(session, usulan) if c.touched}
    result = []
    order = {name: n for n, name in enumerate(SECTIONS)}
    for item in sorted(usulan.items, key=lambda i: (order.get(i.section, 99), i.id or 0)):
        row_diff = RowDiff(
            item.id,
            item.section,
            item.operation,
            item.target_id,
            dokumen_id=item.dokumen_id,
            verdict=item.verdict,
            verdict_reason=item.verdict_reason,
            verdict_note=item.verdict_note,
            verdict_level=item.verdict_level,
        )
        proposed = proposed_values(item)
        if item.operation == UsulanItem.OP_ADD:
            row_diff.fields = [FieldDiff(n, None, v) for n, v in proposed.items() if v is not None]
        else:
            if usulan.finished_at is not None:
                # Applied: the record now holds the proposal, so the change is shown against
                # what it replaced (the values the PNS and the verifiers saw).
                official = snapshot_values(item)
            else:
                row = _official_row(session, usulan, item.section, item.target_id)
                row_diff.missing = row is None
                official = row_values(item.section, row) if row is not None else snapshot_values(item)
            if item.operation == UsulanItem.OP_REMOVE:
                names = [n for n in section_fields(item.section) if official.get(n) is not None]
                row_diff.fields = [FieldDiff(n, official[n], None) for n in names]
            else:
                row_diff.fields = [
                    FieldDiff(n, official.get(n), v, (item.section, item.target_id, n) in conflicted)
                    for n, v in proposed.items()
                ]
        result.append(row_diff)
    return result


def conflicts(session, usulan: Usulan) -> list[ConflictEntry]:
    """Official values that changed since the draft was made.

    For each changed or removed row (and the proposed data-utama fields): the fields whose
    official value now differs from the value the PNS saw when proposing (or the row is gone).
    Plus every other data-utama field that changed since the draft was based (touched=False).
    A finished submission has none: the official record now holds its own changes (apply
    runs before `finished_at` is set, so it still sees every real conflict).
    """
    if usulan.finished_at is not None:
        return []
    found = []
    touched_utama = set()
    for item in usulan.items:
        if item.operation == UsulanItem.OP_ADD:
            continue
        snapshot = snapshot_values(item)
        row = _official_row(session, usulan, item.section, item.target_id)
        if row is None:
            found.append(ConflictEntry(item.section, item.target_id, None, snapshot, None, blocking=True))
            continue
        current = row_values(item.section, row)
        if item.operation == UsulanItem.OP_REMOVE:
            names = section_fields(item.section)  # removing: the whole row must be as seen
        else:
            names = list(proposed_values(item))
        if item.section == DATA_UTAMA:
            touched_utama.update(names)
        for name in names:
            if name in snapshot and current.get(name) != snapshot[name]:
                found.append(ConflictEntry(item.section, item.target_id, name, snapshot[name], current.get(name)))
    base = _decode_values(DATA_UTAMA, json.loads(usulan.base_json or "{}"))
    pegawai = session.get(Pegawai, usulan.pegawai_id)
    current = row_values(DATA_UTAMA, pegawai)
    for name, value in base.items():
        if name not in touched_utama and current.get(name) != value:
            found.append(ConflictEntry(DATA_UTAMA, pegawai.id, name, value, current.get(name), touched=False))
    if not found and pegawai.record_version != usulan.base_record_version:
        # Nothing above explains the new version: say so, or apply() refuses with no reason shown.
        found.append(
            ConflictEntry(
                DATA_UTAMA, pegawai.id, None, usulan.base_record_version, pegawai.record_version, touched=False
            )
        )
    return found


def reviewed_sections(session, usulan: Usulan) -> set[str]:
    """Sections marked "sudah diperiksa" whose items still match the official record (a
    section whose official values changed after the PNS proposed must be reviewed again)."""
    stale = {c.section for c in conflicts(session, usulan) if c.touched}
    return {s.section for s in usulan.sections if s.reviewed_at is not None} - stale


def touches_bkn(usulan: Usulan) -> bool:
    """True when the draft changes a BKN-level field (DESIGN.md §3) or the golongan history."""
    for item in usulan.items:
        if item.section in BKN_SECTIONS:
            return True
        if item.section == DATA_UTAMA and BKN_FIELDS & set(json.loads(item.values_json or "{}")):
            return True
    return False


def kirim_problems(session, usulan: Usulan) -> list[Problem]:
    """Everything that stops Kirim: sections not (or no longer) reviewed, required values
    missing, official rows gone, and every failed domain rule on the proposed data."""
    problems = []
    reviewed = reviewed_sections(session, usulan)
    stale = {c.section for c in conflicts(session, usulan) if c.touched}
    for section in SECTIONS:
        if section in stale:
            problems.append(
                Problem(
                    section,
                    None,
                    _l("the official record changed after you proposed your change; review this section again."),
                    "stale",
                )
            )
        elif section not in reviewed:
            problems.append(Problem(section, None, _l("not reviewed yet."), "not_reviewed"))
    for item in usulan.items:
        if item.operation == UsulanItem.OP_REMOVE:
            continue
        if item.operation != UsulanItem.OP_ADD and _official_row(session, usulan, item.section, item.target_id) is None:
            problems.append(
                Problem(
                    item.section,
                    None,
                    _l("a row you changed no longer exists in the official record; withdraw that change."),
                    "row_gone",
                )
            )
            continue
        values = proposed_values(item)
        for column in _model(item.section).__table__.columns:
            if (
                column.key in _ROW_KEYS
                or column.nullable
                or (item.section == DATA_UTAMA and column.key in _RULE_CHECKED)
            ):
                continue
            # An added row gets the column default; a change may not empty a required value.
            missing = (column.key in values and values[column.key] is None) or (
                item.operation == UsulanItem.OP_ADD and column.default is None and values.get(column.key) is None
            )
            if missing:
                problems.append(Problem(item.section, column.key, _l("is required."), "required"))
    problems += [
        Problem(f.section or DATA_UTAMA, f.field, f.message) for f in rules.blocking(proposed_findings(session, usulan))
    ]
    return problems


def proposed_record(session, usulan: Usulan) -> rules.Record:
    """The record as it would stand with the draft applied, in the rules' shape."""
    return rules.Record(
        utama=proposed_state(session, usulan, DATA_UTAMA),
        rows={section: proposed_state(session, usulan, section) for section in SECTIONS if section != DATA_UTAMA},
    )


def proposed_findings(session, usulan: Usulan, refs=None) -> list:
    """Every rule's finding (errors and warnings) on the record the draft would make, plus a
    proposed NIK another living person already holds. Kirim refuses the errors; the
    verifier sees the warnings next to the rows they concern."""
    refs = refs or rules.load_references(session)
    findings = rules.check_record(proposed_record(session, usulan), refs)
    for item in usulan.items:
        if item.operation == UsulanItem.OP_REMOVE or item.section not in ("data_utama", "pasangan", "anak"):
            continue
        values = proposed_values(item)
        if "nik" not in values:
            continue
        own_id = usulan.pegawai_id if item.section == DATA_UTAMA else item.target_id
        row = {"nik": values["nik"], "nama": values.get("nama") or _current_name(session, usulan, item)}
        findings += rules.check_nik_unique(session, item.section, row, exclude_id=own_id)
    return findings


def _current_name(session, usulan, item):
    row = _official_row(session, usulan, item.section, item.target_id) if item.target_id else None
    if item.section == DATA_UTAMA:
        row = session.get(Pegawai, usulan.pegawai_id)
    return getattr(row, "nama", None)
