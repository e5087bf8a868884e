"""Writing a draft (the PNS's side): open it, propose, withdraw, mark sections reviewed, attach
documents. Each public function is one unit of work (services.transaction); a draft's status
never changes here (services.workflow.transitions does that)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...models import Dokumen, Pegawai, utcnow
from ...models.submission import Usulan, UsulanItem, UsulanSection
from .. import documents, rules, transaction
from .catalogue import (
    DATA_UTAMA,
    FIELD_CHOICES,
    GOLONGAN_FIELDS,
    KIRIM,
    OWN_IDENTITY_FIELDS,
    SECTIONS,
    model_of_table,
    section_column,
    section_fields,
)
from .diff import _official_row, open_usulan, proposed_state
from .errors import ConcurrentChange, DraftLocked, InvalidValue, NotFound, RuleRefused
from .phases import _require_phase
from .values import _decode_values, _dump, proposed_values, row_values, snapshot_values


def _snapshot_utama(pegawai) -> str:
    return _dump(row_values(DATA_UTAMA, pegawai))


def _copy_org(usulan, pegawai):
    usulan.instansi_id = pegawai.instansi_id
    usulan.unit_kerja_id = pegawai.unit_kerja_id


def open_draft(session, pegawai: Pegawai) -> Usulan:
    """The Pegawai's open Usulan; a new draft when he has none. The draft remembers the
    record version and data utama it is based on."""
    existing = open_usulan(session, pegawai.id)
    if existing is not None:
        return existing
    pegawai_id = pegawai.id

    def create():
        # Lock the Pegawai so two first visits at once make one draft (on a database without
        # row locks the partial unique index refuses the second, whose re-run finds the first).
        locked = session.scalars(
            select(Pegawai).where(Pegawai.id == pegawai_id).with_for_update().execution_options(populate_existing=True)
        ).one()
        found = open_usulan(session, pegawai_id)
        if found is not None:
            return found
        usulan = Usulan(
            pegawai_id=pegawai_id,
            status=Usulan.DRAFT,
            base_record_version=locked.record_version,
            base_json=_snapshot_utama(locked),
        )
        _copy_org(usulan, locked)
        session.add(usulan)
        return usulan

    return _run(session, create)


def _run(session, fn):
    """`fn` as one unit of work, run again after losing a race (services.transaction)."""
    return transaction.run_in_transaction(session, fn, on_conflict=ConcurrentChange)


def _lock_draft(session, usulan_id: int) -> Usulan:
    """Lock the draft row and check it is still a draft (Kirim may have happened in another
    tab), and bump its version so a Kirim that read the draft before this change fails."""
    usulan = _lock(session, usulan_id)
    if usulan.status != Usulan.DRAFT:
        raise DraftLocked()
    _require_phase(session, usulan, KIRIM)
    usulan.updated_at = utcnow()
    return usulan


def _section_mark(usulan, section) -> UsulanSection | None:
    return next((s for s in usulan.sections if s.section == section), None)


def _unreview(usulan, section):
    mark = _section_mark(usulan, section)
    if mark is not None:
        mark.reviewed_at = None


IDENTITY_VIA_HELPDESK = _l("is changed through a Helpdesk ticket with a supporting document.")
FOLLOWS_GOLONGAN_HISTORY = _l("follows the golongan history.")


def locked_fields(session, usulan: Usulan, section: str) -> dict:
    """The fields of `section` the PNS sees but may not propose in this draft, each with why:
    his own NIP, NIK and status (a Helpdesk ticket with a document), and the main data's
    golongan and TMT golongan while he has golongan history rows (official or proposed):
    apply takes those two from the latest row, so a value typed here would be overwritten."""
    if section != DATA_UTAMA:
        return {}
    locked = dict.fromkeys(OWN_IDENTITY_FIELDS, IDENTITY_VIA_HELPDESK)
    if proposed_state(session, usulan, "riwayat_golongan"):
        locked.update(dict.fromkeys(GOLONGAN_FIELDS, FOLLOWS_GOLONGAN_HISTORY))
    return locked


def proposable_fields(session, usulan: Usulan, section: str) -> tuple[str, ...]:
    """The fields of `section` the PNS may propose in this draft (the form's fields)."""
    locked = locked_fields(session, usulan, section)
    return tuple(name for name in section_fields(section) if name not in locked)


def _check_values(session, usulan, section, values: dict) -> dict:
    """Known, unlocked fields only, each coerced to its column type; references must exist."""
    locked = locked_fields(session, usulan, section)
    refused = sorted(set(values) & set(locked))
    if refused:
        raise InvalidValue(refused[0], locked[refused[0]])
    allowed = set(section_fields(section))
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise InvalidValue(unknown[0], _l("cannot be changed here."))
    checked = _decode_values(section, values, clean=True)
    for name, value in checked.items():
        choices = FIELD_CHOICES.get((section, name))
        if value is not None and choices is not None and value not in choices:
            raise InvalidValue(name, _l("is not a valid value."))
        for fk in section_column(section, name).foreign_keys:
            target = model_of_table(fk.column.table.name)
            if value is not None and target is not None and session.get(target, value) is None:
                raise InvalidValue(name, _l("is not a valid value."))
    return checked


def _check_dokumen(session, usulan, dokumen_id):
    if dokumen_id is None:
        return None
    dokumen = session.get(Dokumen, dokumen_id)
    if dokumen is None or dokumen.pegawai_id != usulan.pegawai_id:
        raise InvalidValue("dokumen_id", _l("is not one of your documents."))
    return dokumen.id


def _clear_verdict(item):
    # The PNS changed the item: a verdict about the old content no longer applies.
    item.verdict = item.verdict_reason = item.verdict_note = item.verdict_level = None
    item.verdict_by_id = item.verdict_at = None


def propose(
    session,
    usulan: Usulan,
    section: str,
    operation: str,
    values: dict | None,
    target_id: int | None = None,
    *,
    item_id: int | None = None,
    dokumen_id: int | None = None,
    notes: list | None = None,
) -> UsulanItem | None:
    """Record one proposed change in the draft and return its item (None when the change
    turned out to equal the official record and was dropped).

    The row as it would stand is checked by services.rules (check_row: its own fields and
    against the proposed main data): an error this change brings is refused (RuleRefused,
    every finding); the warnings of the saved row are put in `notes`, if given, to show the
    PNS (the verifier sees them too; they never block). Rules across rows wait for Kirim.

    - data_utama, "change": the given fields (merged with earlier proposals of the draft).
    - a history/family section, "add": a new row; pass `item_id` to edit an added row.
    - "change" / "remove" of the official row `target_id` of that section.
    The official values are snapshotted so later official changes show as conflicts. The
    section loses its "sudah diperiksa" mark."""
    _check_operation(section, operation)
    usulan_id = usulan.id
    return _run(
        session,
        lambda: _propose_in_draft(
            session, usulan_id, section, operation, values, target_id, item_id, dokumen_id, notes
        ),
    )


def _check_operation(section, operation):
    if section not in SECTIONS:
        raise InvalidValue("section", _l("is not a valid value."))
    if operation not in UsulanItem.OPERATIONS or (section == DATA_UTAMA and operation != UsulanItem.OP_CHANGE):
        raise InvalidValue("operation", _l("is not a valid value."))


def _propose_in_draft(session, usulan_id, section, operation, values, target_id, item_id, dokumen_id, notes=None):
    """The body of propose(), inside its unit of work."""
    usulan = _lock_draft(session, usulan_id)
    checked = _check_values(session, usulan, section, values or {})
    found = _check_rules(session, usulan, section, operation, checked, target_id, item_id)
    if notes is not None:
        notes[:] = found  # a re-run of the unit of work replaces, never adds
    dokumen_id = _check_dokumen(session, usulan, dokumen_id)
    item = _propose(session, usulan, section, operation, checked, target_id, item_id, dokumen_id)
    _unreview(usulan, section)
    return item


def _row_findings(session, usulan, section, operation, checked, target_id, item_id):
    """(before, after): services.rules.check_row on the row as the draft has it now (nothing
    for a new row) and as this change would make it, against the proposed main data."""
    refs = rules.load_references(session)
    utama = proposed_state(session, usulan, DATA_UTAMA)
    if section == DATA_UTAMA:
        after = {**utama, **checked}
        return rules.check_row(DATA_UTAMA, utama, utama, refs), rules.check_row(DATA_UTAMA, after, after, refs)
    fields = section_fields(section)
    rows = proposed_state(session, usulan, section)
    if operation == UsulanItem.OP_ADD:
        current = next((r for r in rows if item_id is not None and r["id"] is None and r["item_id"] == item_id), None)
        after = {**dict.fromkeys(fields), **checked}  # an added row is replaced whole
    else:
        current = next((r for r in rows if target_id is not None and r["id"] == target_id), None)
        after = {**(current or {}), **checked}
    before = rules.check_row(section, current, utama, refs) if current is not None else []
    return before, rules.check_row(section, {name: after.get(name) for name in fields}, utama, refs)


def _check_rules(session, usulan, section, operation, checked, target_id, item_id) -> list:
    """Refuse the errors this change brings (RuleRefused); return the saved row's warnings.
    An error the row already had (official data from an import, say) does not block an
    unrelated change: Kirim lists it, and the PNS fixes it or the Helpdesk does."""
    if operation == UsulanItem.OP_REMOVE:
        return []
    before, after = _row_findings(session, usulan, section, operation, checked, target_id, item_id)
    known = {(f.code, f.field, str(f.message)) for f in rules.blocking(before)}
    brought = [f for f in rules.blocking(after) if (f.code, f.field, str(f.message)) not in known]
    if brought:
        raise RuleRefused(brought)
    return rules.warnings(after)


def _propose(session, usulan, section, operation, checked, target_id, item_id, dokumen_id):
    items = [i for i in usulan.items if i.section == section]
    if operation == UsulanItem.OP_ADD:
        if item_id is not None:
            item = next((i for i in items if i.id == item_id and i.operation == UsulanItem.OP_ADD), None)
            if item is None:
                raise NotFound()
        else:
            item = UsulanItem(section=section, operation=operation)
            usulan.items.append(item)
        item.values_json = _dump(checked)
        item.dokumen_id = dokumen_id if dokumen_id is not None else item.dokumen_id
        _clear_verdict(item)
        return item
    if section == DATA_UTAMA:
        target_id = usulan.pegawai_id
    row = _official_row(session, usulan, section, target_id)
    if row is None:
        raise NotFound(_l("This row is not in your official record."))
    official = row_values(section, row)
    item = next((i for i in items if i.target_id == target_id), None)
    if item is None:
        item = UsulanItem(section=section, operation=operation, target_id=target_id)
        usulan.items.append(item)
    _clear_verdict(item)
    if dokumen_id is not None:
        item.dokumen_id = dokumen_id
    if operation == UsulanItem.OP_REMOVE:
        item.operation = operation
        item.values_json = "{}"
        item.official_json = _dump(official)
        return item
    earlier = item.operation == UsulanItem.OP_CHANGE and item.official_json is not None
    merged = proposed_values(item) if earlier else {}
    merged.update(checked)
    # The PNS saw today's official values of the fields he just proposed; for the fields he
    # proposed earlier, what he saw then stays the base (a change since is a conflict).
    snapshot = snapshot_values(item) if earlier else dict(official)
    snapshot.update({name: official[name] for name in checked})
    changed = {name: value for name, value in merged.items() if value != official[name]}
    item.operation = operation
    if not changed and item.dokumen_id is None:
        usulan.items.remove(item)
        return None
    item.values_json = _dump(changed)
    item.official_json = _dump(snapshot)
    return item


def withdraw(session, usulan: Usulan, item_id: int) -> None:
    """Drop one proposed change from the draft; the section loses its "sudah diperiksa" mark."""
    usulan_id = usulan.id

    def drop():
        draft = _lock_draft(session, usulan_id)
        item = next((i for i in draft.items if i.id == item_id), None)
        if item is None:
            raise NotFound(_l("This proposed change no longer exists: it was withdrawn, perhaps in another window."))
        draft.items.remove(item)
        _unreview(draft, item.section)

    _run(session, drop)


def mark_reviewed(session, usulan: Usulan, section: str, reviewed: bool = True) -> None:
    """The PNS marks `section` "sudah diperiksa" (or takes the mark back). Marking also takes
    the official values he now sees as the base of that section's proposed changes."""
    if section not in SECTIONS:
        raise InvalidValue("section", _l("is not a valid value."))
    usulan_id = usulan.id

    def mark_section():
        # Commutes: marks of two tabs (or of every section at once) all apply, in any order.
        draft = _lock_draft(session, usulan_id)
        mark = _section_mark(draft, section)
        if mark is None:
            mark = UsulanSection(section=section)
            draft.sections.append(mark)
        mark.reviewed_at = utcnow() if reviewed else None
        if reviewed:
            for item in draft.items:
                if item.section != section or item.operation == UsulanItem.OP_ADD:
                    continue
                row = _official_row(session, draft, section, item.target_id)
                if row is None:
                    continue  # stays a problem until the change is withdrawn
                item.official_json = _dump(row_values(section, row))

    _run(session, mark_section)


def _lock(session, usulan_id) -> Usulan:
    usulan = session.scalars(
        select(Usulan).where(Usulan.id == usulan_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if usulan is None:
        raise NotFound()
    return usulan


# --------------------------------------------------------------------------------------------
# Supporting documents of the items
# --------------------------------------------------------------------------------------------
def propose_with_upload(
    session,
    usulan: Usulan,
    section: str,
    operation: str,
    values: dict | None,
    target_id: int | None = None,
    *,
    item_id: int | None = None,
    upload=None,
    uploaded_by_id: int | None = None,
    notes: list | None = None,
) -> UsulanItem | None:
    """`propose` with the supporting document the PNS uploaded (`upload`, a file of the form;
    none or an empty one keeps the item's current document). The file is checked and stored
    first (documents.UploadRejected, nothing written) and its Dokumen row commits with the
    proposal (each run of the unit of work adds it again); a refused proposal removes the
    stored file again."""
    if upload is None or not upload.filename:
        return propose(session, usulan, section, operation, values, target_id, item_id=item_id, notes=notes)
    _check_operation(section, operation)
    usulan_id, pegawai_id = usulan.id, usulan.pegawai_id
    stored = documents.save_file(upload)

    def propose_with_document():
        dokumen = documents.record_stored(session, pegawai_id, stored, uploaded_by_id=uploaded_by_id)
        session.flush()  # its id, for the item
        return _propose_in_draft(session, usulan_id, section, operation, values, target_id, item_id, dokumen.id, notes)

    try:
        return _run(session, propose_with_document)
    except Exception:
        documents.discard(stored.stored_name)
        raise


@dataclass(frozen=True)
class ItemDocuments:
    """The documents of one item: `proposed`, sent with the proposal, and `official`, on the
    official row the item changes or removes (what the verifier compares it with)."""

    proposed: Dokumen | None
    official: Dokumen | None


def item_documents(session, usulan: Usulan) -> dict[int, ItemDocuments]:
    """The documents of every item of `usulan`, by item id."""
    result = {}
    for item in usulan.items:
        official = None
        if item.section != DATA_UTAMA and item.operation != UsulanItem.OP_ADD:
            row = _official_row(session, usulan, item.section, item.target_id)
            official = row.dokumen if row is not None else None
        result[item.id] = ItemDocuments(item.dokumen, official)
    return result
