"""Applying a finished submission to the official record, one RecordChange per changed field
(inside transition's transaction; never commits). `change_rows`/`record_changes` also serve
staff edits and imports."""

import json

from sqlalchemy import select

from ...models import Pegawai, utcnow
from ...models.submission import RecordChange, Usulan, UsulanItem
from .. import rules
from .catalogue import CHILD_MODELS, DATA_UTAMA
from .diff import _official_row, conflicts
from .errors import Conflict, ConflictEntry, RecordRefused
from .values import _normal, encode, proposed_values, row_values


def change_rows(
    pegawai_id, section, row_id, old: dict, new: dict, *, actor=None, usulan=None, source=None
) -> list[dict]:
    """The RecordChange values (dicts, for a bulk insert) of every field whose value differs
    between `old` and `new`. `source` defaults to "usulan" with an usulan, else "staff"."""
    if source is None:
        source = RecordChange.SOURCE_USULAN if usulan is not None else RecordChange.SOURCE_STAFF
    now = utcnow()
    rows = []
    for name in dict.fromkeys([*old, *new]):
        before, after = _normal(old.get(name)), _normal(new.get(name))
        if before == after:
            continue
        rows.append(
            dict(
                pegawai_id=pegawai_id,
                section=section,
                row_id=row_id,
                field=name,
                old_value=None if before is None else json.dumps(encode(before)),
                new_value=None if after is None else json.dumps(encode(after)),
                usulan_id=getattr(usulan, "id", None),
                actor_id=getattr(actor, "id", None),
                changed_at=now,
                source=source,
            )
        )
    return rows


def record_changes(
    session, pegawai_id, section, row_id, old: dict, new: dict, *, actor=None, usulan=None, source=None
) -> int:
    """Add one RecordChange per field whose value differs between `old` and `new` (see
    change_rows); returns how many."""
    rows = change_rows(pegawai_id, section, row_id, old, new, actor=actor, usulan=usulan, source=source)
    session.add_all([RecordChange(**values) for values in rows])
    return len(rows)


def apply(session, usulan: Usulan, actor, *, accept_conflicts: bool = False) -> int:
    """Write every item to the official record and bump its record_version; returns the
    number of changed fields. Raises Conflict (before writing anything) when the record
    changed since the draft was based on it, unless accepted; a row that is gone always is.
    Raises RecordRefused when the record as written breaks a rule (`check_written`): the
    caller's transaction then rolls everything back."""
    pegawai = session.scalars(
        select(Pegawai)
        .where(Pegawai.id == usulan.pegawai_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    found = conflicts(session, usulan)
    if found or pegawai.record_version != usulan.base_record_version:
        if not accept_conflicts or any(c.blocking for c in found):
            raise Conflict(found)
    changed = 0
    written_niks = []
    for item in list(usulan.items):
        changed += apply_item(session, usulan, item, pegawai, actor)
        written_niks += _written_nik(item, pegawai.id)
    if any(item.section == "riwayat_golongan" for item in usulan.items):
        changed += sync_current_golongan(session, pegawai, actor=actor, usulan=usulan)
    if changed:
        pegawai.record_version = (pegawai.record_version or 0) + 1
    session.flush()
    check_written(session, pegawai, written_niks)
    return changed


def _written_nik(item: UsulanItem, pegawai_id) -> list:
    """(section, row values with the NIK, own row id) of a NIK this item writes."""
    if item.section not in rules.NIK_SECTIONS or item.operation == UsulanItem.OP_REMOVE:
        return []
    values = proposed_values(item)
    if not values.get("nik"):
        return []
    own_id = pegawai_id if item.section == DATA_UTAMA else item.target_id
    return [(item.section, values, own_id)]


def check_written(session, pegawai: Pegawai, written_niks=()) -> None:
    """The last guard of apply, after everything is written and flushed: the whole official
    record as it now stands (`rules.check_record`) and each NIK just written (held by no other
    living person). Any error raises RecordRefused; warnings were the verifier's to weigh."""
    stored = rules.record_of(session, pegawai)
    findings = rules.check_record(stored, rules.load_references(session))
    for section, values, own_id in written_niks:
        name = values.get("nama") or _stored_name(stored, section, values["nik"])
        findings += rules.check_nik_unique(session, section, {"nik": values["nik"], "nama": name}, exclude_id=own_id)
    errors = rules.blocking(findings)
    if errors:
        raise RecordRefused(errors)


def _stored_name(record, section, nik):
    # The name the NIK now stands under in the written record (an edit may change only the NIK).
    if section == DATA_UTAMA:
        return record.utama.get("nama")
    return next((r.get("nama") for r in record.rows.get(section, []) if r.get("nik") == nik), None)


def sync_current_golongan(session, pegawai: Pegawai, *, actor=None, usulan=None) -> int:
    """Make the data utama's golongan and TMT those of the latest golongan history row (the
    rank a PNS holds is the last one granted), with history; returns the changed fields."""
    model = CHILD_MODELS["riwayat_golongan"]
    session.flush()
    latest = session.scalars(
        select(model)
        .where(model.pegawai_id == pegawai.id)
        .order_by(model.tmt_golongan.desc(), model.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return 0
    old = {"golongan_id": pegawai.golongan_id, "tmt_golongan": pegawai.tmt_golongan}
    new = {"golongan_id": latest.golongan_id, "tmt_golongan": latest.tmt_golongan}
    pegawai.golongan_id, pegawai.tmt_golongan = new["golongan_id"], new["tmt_golongan"]
    return record_changes(session, pegawai.id, DATA_UTAMA, pegawai.id, old, new, actor=actor, usulan=usulan)


def apply_item(session, usulan: Usulan, item: UsulanItem, pegawai: Pegawai, actor) -> int:
    """Apply one item to the official record with its RecordChange rows; returns the count."""
    section, values = item.section, proposed_values(item)
    if section == DATA_UTAMA:
        old = {name: getattr(pegawai, name) for name in values}
        for name, value in values.items():
            setattr(pegawai, name, value)
        return record_changes(session, pegawai.id, section, pegawai.id, old, values, actor=actor, usulan=usulan)
    model = CHILD_MODELS[section]
    if item.operation == UsulanItem.OP_ADD:
        row = model(pegawai_id=pegawai.id, dokumen_id=item.dokumen_id, **values)
        session.add(row)
        session.flush()
        new = row_values(section, row)
        if item.dokumen_id is not None:
            new["dokumen_id"] = item.dokumen_id
        return record_changes(session, pegawai.id, section, row.id, {}, new, actor=actor, usulan=usulan)
    row = _official_row(session, usulan, section, item.target_id)
    if row is None:
        raise Conflict([ConflictEntry(section, item.target_id, None, None, None, blocking=True)])
    old = {**row_values(section, row), "dokumen_id": row.dokumen_id}
    row_id = row.id
    if item.operation == UsulanItem.OP_REMOVE:
        session.delete(row)
        session.flush()
        return record_changes(session, pegawai.id, section, row_id, old, {}, actor=actor, usulan=usulan)
    for name, value in values.items():
        setattr(row, name, value)
    if item.dokumen_id is not None:
        row.dokumen_id = item.dokumen_id
    new = {**row_values(section, row), "dokumen_id": row.dokumen_id}
    return record_changes(session, pegawai.id, section, row_id, old, new, actor=actor, usulan=usulan)
