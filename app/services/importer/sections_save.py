"""Saving parsed history/family rows, all or nothing per PNS.

- Rows of a NIP not in the database are rejected; with `instansi_id` (a Verifikator
  Instansi's import) so are rows of a PNS of another instansi.
- Every row goes through `check_row` against the PNS's data utama; then the PNS's record
  with the file's rows merged in goes through `check_record`. An error the merged record has
  and the stored one had not is the file's doing: it is reported at the row it names (or at
  the PNS's first row of that sheet). Warnings are reported and do not block.
- All or nothing per PNS: a PNS with one bad row (a cell, a rule, a doubled key) gets none of
  the file's rows; his other rows are reported as not imported, naming the bad row.
- An existing row is matched by the section's natural key (text compared as `name_key` does);
  an empty cell keeps the stored value, so re-importing a file changes nothing. Each written
  field gets a RecordChange (source "import") and a changed PNS `record_version` + 1.
- PNS are committed in batches; a batch the database refuses is retried PNS by PNS.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ...models import Pegawai, RecordChange
from .. import record_history, rules, workflow
from .cells import name_key
from .report import ImportReport, RowError
from .sections import SectionRow

BATCH_PEGAWAI = 200


@dataclass
class _Group:
    """The file's rows of one PNS, with what was found wrong with them."""

    nip: str
    rows: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)  # id(row) -> list of RowError
    warnings: list = field(default_factory=list)

    def fail(self, row: SectionRow, error: RowError) -> None:
        self.errors.setdefault(id(row), []).append(error)


def import_section_rows(session, groups: dict, report: ImportReport, *, instansi_id=None, today=None) -> None:
    """Check and save `groups` ({nip: [(SectionRow, parse errors)]}) into `report`; commits."""
    refs = rules.load_references(session)
    nips = list(groups)
    for start in range(0, len(nips), BATCH_PEGAWAI):
        batch = []
        for nip in nips[start : start + BATCH_PEGAWAI]:
            group = _Group(nip)
            for row, errors in groups[nip]:
                group.rows.append(row)
                for error in errors:
                    group.fail(row, error)
            batch.append(group)
        _save(session, batch, report, refs, instansi_id, today)


def _save(session, batch: list, report, refs, instansi_id, today) -> None:
    """Write `batch` in one transaction; if the database refuses it, retry PNS by PNS."""
    try:
        result = ImportReport()
        _apply(session, batch, result, refs, instansi_id, today)
        session.commit()
    except Exception as exc:
        session.rollback()
        if not isinstance(exc, SQLAlchemyError):
            raise
        if len(batch) > 1:
            for group in batch:
                _save(session, [group], report, refs, instansi_id, today)
            return
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        for row in batch[0].rows:
            report.reject([row.error("", _l("could not be saved: %(error)s", error=reason))])
        return
    report.add(result)


def _apply(session, batch: list, result: ImportReport, refs, instansi_id, today) -> None:
    pegawai = {p.nip: p for p in session.scalars(select(Pegawai).where(Pegawai.nip.in_([g.nip for g in batch])))}
    stored = _stored_rows(session, [p.id for p in pegawai.values()])
    changes = []
    for group in batch:
        person = pegawai.get(group.nip)
        if person is None:
            _reject_all(group, result, _l("no PNS with this NIP in the database."))
            continue
        if instansi_id is not None and person.instansi_id != instansi_id:
            _reject_all(group, result, _l("this PNS is not in your instansi."))
            continue
        plan = _plan(group, stored[person.id])
        _check_rules(session, group, person, plan, stored[person.id], refs, today)
        if group.errors:
            _reject_group(group, result)
            continue
        result.warnings += group.warnings
        changes += _write(session, person, plan, result)
    session.flush()
    record_history.insert_change_rows(session, changes)


def _stored_rows(session, pegawai_ids: list) -> dict:
    """{pegawai id: {section: [row objects, by id]}} for every history/family section."""
    found = defaultdict(lambda: defaultdict(list))
    for section, model in workflow.CHILD_MODELS.items():
        query = select(model).where(model.pegawai_id.in_(pegawai_ids)).order_by(model.id)
        for row in session.scalars(query):
            found[row.pegawai_id][section].append(row)
    return found


def _key(values: tuple) -> tuple:
    return tuple(name_key(v) if isinstance(v, str) else v for v in values)


def _plan(group: _Group, stored: dict) -> list:
    """[(SectionRow, matched stored row or None)]; a key twice in the file is an error."""
    plan, seen, taken = [], {}, set()
    for row in group.rows:
        section = row.section
        key = (section.name, _key(row.key))
        if key in seen and id(row) not in group.errors:
            columns = [c.name for c in section.columns if c.attribute in section.key]
            group.fail(
                row,
                row.error(
                    columns[0],
                    _l(
                        "this %(columns)s is already on row %(row)d for this PNS.",
                        columns=", ".join(columns),
                        row=seen[key],
                    ),
                ),
            )
        seen.setdefault(key, row.number)
        match = None
        for candidate in stored[section.name]:
            if id(candidate) not in taken and _key(tuple(getattr(candidate, a) for a in section.key)) == key[1]:
                match = candidate
                taken.add(id(candidate))
                break
        plan.append((row, match))
    return plan


def _merged_values(row: SectionRow, match) -> dict:
    """The row as it would be stored: the stored row (or the column defaults) and the file's cells."""
    name = row.section.name
    if match is not None:
        base = rules.row_values(match)
    else:
        base = {}
        for attribute in workflow.section_fields(name):
            default = row.section.model.__table__.columns[attribute].default
            base[attribute] = default.arg if default is not None and default.is_scalar else None
    return {**base, **{k: v for k, v in row.values.items() if v is not None}}


def _check_rules(session, group: _Group, person, plan, stored: dict, refs, today) -> None:
    """Row rules on every readable row, then (all rows good) the record rules on the merged
    record, keeping only the findings the stored record did not have."""
    utama = rules.row_values(person)
    for row, match in plan:
        if id(row) in group.errors:
            continue  # a cell that could not be read would only give misleading reasons
        section = row.section.name
        known = set()
        if match is not None:  # what the stored row already breaks is not this file's doing
            stored_values = rules.row_values(match)
            known = {_signature(e) for e in rules.check_row(section, stored_values, utama, refs, today)}
        merged = _merged_values(row, match)
        findings = rules.check_row(section, merged, utama, refs, today)
        if section in rules.NIK_SECTIONS and merged.get("nik") and merged.get("nik") != getattr(match, "nik", None):
            # A NIK new to this row may not be another living person's.
            findings += rules.check_nik_unique(session, section, merged, exclude_id=getattr(match, "id", None))
        for finding in findings:
            if _signature(finding) not in known:
                _report(group, row, finding)
    if group.errors:
        return  # the record as a whole is judged only once every row is good
    before = rules.Record(utama, {s: [rules.row_values(r) for r in rows] for s, rows in stored.items()})
    after = rules.Record(utama, {s: list(rows) for s, rows in before.rows.items()})
    at_index = {}  # (section, index in the merged record) -> SectionRow
    for row, match in plan:
        rows = after.rows.setdefault(row.section.name, [])
        index = stored[row.section.name].index(match) if match is not None else len(rows)
        if match is None:
            rows.append(None)
        rows[index] = _merged_values(row, match)
        at_index[(row.section.name, index)] = row
    known = {_signature(e) for e in rules.check_record(before, refs, today)}
    for finding in rules.check_record(after, refs, today):
        if _signature(finding) in known:
            continue  # the stored record already says so: not this file's doing
        row = at_index.get((finding.section, finding.row)) or _first_row(plan, finding.section)
        _report(group, row, finding)


def _signature(finding) -> tuple:
    return (finding.section, finding.row, finding.field, str(finding.message))


def _first_row(plan, section) -> SectionRow:
    return next((row for row, _ in plan if row.section.name == section), plan[0][0])


def _report(group: _Group, row: SectionRow, finding) -> None:
    column = ""  # a finding about another section (data utama) names no column of this sheet
    if finding.section in (None, row.section.name):
        by_attribute = {c.attribute: c.name for c in row.section.columns}
        column = by_attribute.get(finding.field, finding.field if finding.field in row.section.column_names else "")
    error = row.error(column, finding.message)
    if finding.severity == rules.ERROR:
        group.fail(row, error)
    elif error not in group.warnings:
        group.warnings.append(error)


def _reject_all(group: _Group, result: ImportReport, reason) -> None:
    for row in group.rows:
        result.reject([row.error("nip", reason)])


def _reject_group(group: _Group, result: ImportReport) -> None:
    first_bad = next(row for row in group.rows if id(row) in group.errors)
    for row in group.rows:
        errors = group.errors.get(id(row))
        if not errors:
            errors = [
                row.error(
                    "",
                    _l(
                        "not imported: row %(row)d of sheet %(sheet)s of this PNS has errors.",
                        row=first_bad.number,
                        sheet=first_bad.section.name,
                    ),
                )
            ]
        result.reject(errors)


def _write(session, person, plan, result: ImportReport) -> list:
    """Insert or update the PNS's rows; the RecordChange rows (dicts) of what changed."""
    changes, added = [], []
    for row, match in plan:
        section = row.section.name
        if match is None:
            obj = row.section.model(pegawai_id=person.id, **{k: v for k, v in row.values.items() if v is not None})
            session.add(obj)
            added.append((section, obj))
            result.created += 1
            continue
        old = {}
        for attribute, value in row.values.items():
            if value is not None and getattr(match, attribute) != value:
                old[attribute] = getattr(match, attribute)
                setattr(match, attribute, value)
        if old:
            changes += workflow.change_rows(
                person.id,
                section,
                match.id,
                old,
                {k: getattr(match, k) for k in old},
                source=RecordChange.SOURCE_IMPORT,
            )
            result.updated += 1
        else:
            result.unchanged += 1
    if added:
        session.flush()  # the new rows' ids and column defaults
        for section, obj in added:
            changes += workflow.change_rows(
                person.id, section, obj.id, {}, workflow.row_values(section, obj), source=RecordChange.SOURCE_IMPORT
            )
    if changes:
        person.record_version = (person.record_version or 0) + 1
    return changes
