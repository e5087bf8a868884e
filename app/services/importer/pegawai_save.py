"""Saving parsed data-utama rows: the batch upsert by NIP.

- Upsert by NIP. An empty optional cell keeps the stored value: an import never erases data
  (clearing a field is done in the record's form). A row equal to the stored record writes
  nothing, so importing the same file twice changes nothing; a changed record gets
  `record_version` + 1 and one RecordChange per changed field (its history, source "import",
  inserted with the batch in one statement).
- Instansi by `instansi_kode`. A missing one is created only when the row gives
  `instansi_nama` and the import was given a Kanreg (`kanreg=`, the CLI's `--kanreg`);
  otherwise the row is rejected ("unknown instansi"). Unit kerja by `unit_kode` under that
  instansi; a missing one is created at the top of the instansi's tree when `unit_nama` is
  given. An import never renames an existing instansi or unit.
- Good rows are committed every `BATCH_SIZE` rows. If the database refuses a batch, it is
  rolled back and retried row by row, so only the refused row is rejected.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from ...models import Instansi, Pegawai, RecordChange, UnitKerja
from .. import record_history, rules, workflow
from .pegawai import BATCH_SIZE, RULE_FIELDS, ParsedRow, parse_row
from .references import ReferenceLookup, kanreg_id_for
from .report import ImportReport, RowError

_MISSING = object()


@dataclass
class _BatchResult:
    """Counts of one transaction, added to the report only once it has committed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    instansi_created: int = 0
    units_created: int = 0
    rejected: list = field(default_factory=list)  # list of lists of RowError

    def add_to(self, report: ImportReport) -> None:
        report.created += self.created
        report.updated += self.updated
        report.unchanged += self.unchanged
        report.instansi_created += self.instansi_created
        report.units_created += self.units_created
        for errors in self.rejected:
            report.reject(errors)


class _Importer:
    def __init__(self, session, kanreg_id, instansi_id=None):
        self.session = session
        self.kanreg_id = kanreg_id
        self.instansi_id = instansi_id  # only PNS of this instansi (a Verifikator Instansi's import)
        self.instansi = {}  # kode -> id, or _MISSING
        self.units = {}  # kode -> (id, instansi_id), or _MISSING

    def save(self, rows: list[ParsedRow], report: ImportReport) -> None:
        """Write `rows` in one transaction; if the database refuses it, retry row by row."""
        try:
            result = self._apply(rows)
            self.session.commit()
        except Exception as exc:
            self.session.rollback()
            # Ids cached during the failed transaction may no longer exist.
            self.instansi.clear()
            self.units.clear()
            if not isinstance(exc, SQLAlchemyError):
                raise
            if len(rows) > 1:
                for row in rows:
                    self.save([row], report)
                return
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            report.reject([RowError(rows[0].number, "", _l("could not be saved: %(error)s", error=reason))])
            return
        result.add_to(report)

    def _apply(self, rows: list[ParsedRow]) -> _BatchResult:
        result = _BatchResult()
        new_records, changes = [], []
        nips = [row.values["nip"] for row in rows]
        query = select(Pegawai).where(Pegawai.nip.in_(nips))
        stored = {p.nip: p for p in self.session.scalars(query)}
        niks_in_batch = {}  # NIK -> NIP of the rows accepted so far (inserted at the end)
        for row in rows:
            current = stored.get(row.values["nip"])
            errors = (
                self._outside(row, current)
                or self._check_merged(row, current)
                or self._nik_taken(row, current, niks_in_batch)
            )
            if not errors:
                errors, instansi_id, unit_id = self._organisation(row, current, result)
            if errors:
                result.rejected.append(errors)
                continue
            values = dict(row.values, instansi_id=instansi_id, unit_kerja_id=unit_id)
            if current is None:
                values["status"] = values["status"] or Pegawai.STATUS_PNS
                new_records.append(dict(values, record_version=1))
                result.created += 1
            elif old := _update(current, values):
                current.record_version = (current.record_version or 0) + 1
                changes += workflow.change_rows(
                    current.id,
                    workflow.DATA_UTAMA,
                    current.id,
                    old,
                    {k: values[k] for k in old},
                    source=RecordChange.SOURCE_IMPORT,
                )
                result.updated += 1
            else:
                result.unchanged += 1
        if new_records:
            # One multi-row INSERT: building ORM objects would cost more than the database does.
            self.session.execute(insert(Pegawai.__table__), new_records)
        record_history.insert_change_rows(self.session, changes)
        return result

    @staticmethod
    def _check_merged(row: ParsedRow, current) -> list[RowError]:
        """Re-check the rules when empty cells were filled from the stored record."""
        if current is None:
            return []
        own = {f: row.values[f] for f in RULE_FIELDS}
        merged = {f: getattr(current, f) if own[f] is None else own[f] for f in RULE_FIELDS}
        if merged == own:
            return []
        return [RowError(row.number, e.field, e.message) for e in rules.check_pegawai(merged)]

    def _nik_taken(self, row: ParsedRow, current, niks_in_batch: dict) -> list[RowError]:
        """The row's NIK may not be another living person's (rules.check_nik_unique), nor that
        of another PNS of this batch."""
        nik = row.values.get("nik")
        if not nik or (current is not None and current.nik == nik):
            return []
        holder = niks_in_batch.setdefault(nik, row.values["nip"])
        findings = rules.check_nik_unique(
            self.session,
            rules.DATA_UTAMA,
            {"nik": nik, "nama": row.values.get("nama") or getattr(current, "nama", None)},
            exclude_id=current.id if current is not None else None,
        )
        if holder != row.values["nip"] and not findings:
            findings = [rules.RuleError("nik", rules.CATALOGUE["nik.duplicate"].description)]
        if findings:
            if niks_in_batch.get(nik) == row.values["nip"]:
                del niks_in_batch[nik]
            return [RowError(row.number, "nik", f.message) for f in findings]
        return []

    def _outside(self, row: ParsedRow, current) -> list[RowError]:
        """With an instansi restriction: the row must stay in that instansi (and not create one)."""
        if self.instansi_id is None:
            return []
        if current is not None and current.instansi_id != self.instansi_id:
            return [RowError(row.number, "nip", _l("this PNS is not in your instansi."))]
        if self._instansi_id(row.org["instansi_kode"]) != self.instansi_id:
            return [RowError(row.number, "instansi_kode", _l("is not your instansi."))]
        return []

    def _organisation(self, row: ParsedRow, current, result: _BatchResult):
        """(errors, instansi id, unit id); creates a missing instansi/unit only for a good row."""
        org, number = row.org, row.number
        errors = []
        instansi_id = self._instansi_id(org["instansi_kode"])
        if instansi_id is None:
            if not org["instansi_nama"]:
                errors.append(
                    RowError(
                        number,
                        "instansi_kode",
                        _l(
                            "unknown instansi %(kode)s; give instansi_nama (and a Kanreg) to create it.",
                            kode=org["instansi_kode"],
                        ),
                    )
                )
            elif self.kanreg_id is None:
                errors.append(
                    RowError(
                        number,
                        "instansi_kode",
                        _l(
                            "unknown instansi %(kode)s; creating it needs a Kanreg (option --kanreg).",
                            kode=org["instansi_kode"],
                        ),
                    )
                )
        unit = None
        if errors:
            pass  # the unit cannot be judged without its instansi
        elif org["unit_kode"]:
            unit = self._unit(org["unit_kode"])
            if unit is not None and unit[1] != instansi_id:
                errors.append(
                    RowError(
                        number,
                        "unit_kode",
                        _l("unit kerja %(kode)s belongs to another instansi.", kode=org["unit_kode"]),
                    )
                )
            elif unit is None and not org["unit_nama"]:
                errors.append(
                    RowError(
                        number,
                        "unit_kode",
                        _l("unknown unit kerja %(kode)s; give unit_nama to create it.", kode=org["unit_kode"]),
                    )
                )
        elif current is not None and current.unit_kerja_id is not None and current.instansi_id != instansi_id:
            # Keeping the stored unit would leave the record in a unit of its old instansi.
            errors.append(RowError(number, "unit_kode", _l("is required when the instansi changes.")))
        if errors:
            return errors, None, None
        if instansi_id is None:
            instansi_id = self._create_instansi(org["instansi_kode"], org["instansi_nama"])
            result.instansi_created += 1
        unit_id = unit[0] if unit else None
        if org["unit_kode"] and unit is None:
            unit_id = self._create_unit(org["unit_kode"], org["unit_nama"], instansi_id)
            result.units_created += 1
        return [], instansi_id, unit_id

    def _instansi_id(self, kode):
        if kode not in self.instansi:
            found = self.session.scalar(select(Instansi.id).where(Instansi.kode == kode))
            self.instansi[kode] = _MISSING if found is None else found
        found = self.instansi[kode]
        return None if found is _MISSING else found

    def _unit(self, kode):
        if kode not in self.units:
            found = self.session.execute(
                select(UnitKerja.id, UnitKerja.instansi_id).where(UnitKerja.kode == kode)
            ).first()
            self.units[kode] = _MISSING if found is None else tuple(found)
        found = self.units[kode]
        return None if found is _MISSING else found

    def _create_instansi(self, kode, nama) -> int:
        instansi = Instansi(kode=kode, nama=nama, kanreg_id=self.kanreg_id)
        self.session.add(instansi)
        self.session.flush()
        self.instansi[kode] = instansi.id
        return instansi.id

    def _create_unit(self, kode, nama, instansi_id) -> int:
        unit = UnitKerja(kode=kode, nama=nama, instansi_id=instansi_id, parent_id=None)
        self.session.add(unit)
        self.session.flush()  # the id (the model derives the path from it)
        self.units[kode] = (unit.id, instansi_id)
        return unit.id


def _update(current: Pegawai, values: dict) -> dict:
    """Set the values that differ (an empty cell keeps the stored value); returns the old
    values of those that did (empty: nothing changed)."""
    old = {}
    for attribute, value in values.items():
        before = getattr(current, attribute)
        if value is not None and before != value:
            old[attribute] = before
            setattr(current, attribute, value)
    return old


def import_pegawai(
    session, rows_iter, *, kanreg=None, progress=None, batch_size=BATCH_SIZE, instansi_id=None
) -> ImportReport:
    """Upsert Pegawai records from `(row_number, {column: cell})` rows (see `read_rows`).

    `kanreg` is the Kanreg code given to instansi the file creates; `progress(n)` is called
    as rows are consumed. Rejected rows are reported, never raised; commits every
    `batch_size` good rows. Raises `ImportFileError` (before any change) for an unknown Kanreg.
    `instansi_id` restricts the import to PNS of that instansi (other rows are rejected).
    """
    importer = _Importer(session, kanreg_id_for(session, kanreg), instansi_id)
    refs = ReferenceLookup(session)
    report = ImportReport()
    first_row_of = {}  # NIP -> row number where it first appeared
    pending, consumed = [], 0
    for number, raw in rows_iter:
        row, errors = parse_row(number, raw, refs)
        nip = row.values["nip"]
        if nip is not None:
            if nip in first_row_of:
                errors.insert(
                    0,
                    RowError(
                        number,
                        "nip",
                        _l("is already on row %(row)d of this file; each NIP may appear once.", row=first_row_of[nip]),
                    ),
                )
            else:
                first_row_of[nip] = number
        if errors:
            report.reject(errors)
        else:
            pending.append(row)
        if len(pending) >= batch_size:
            importer.save(pending, report)
            pending = []
        consumed += 1
        if progress and consumed >= batch_size:
            progress(consumed)
            consumed = 0
    if pending:
        importer.save(pending, report)
    if progress and consumed:
        progress(consumed)
    session.commit()  # end the read-only transaction of an import with nothing to save
    report.errors.sort(key=lambda e: e.row_number)
    return report
