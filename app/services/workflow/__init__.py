"""Data update and verification (DESIGN.md §3): the PNS's draft, Kirim, three levels of
verification and the final apply to the official record.

`TRANSITIONS` is the one table that says who may move an Usulan from which status to which;
`transition()` is the only code that changes `Usulan.status`. Every public function that
writes is one unit of work (services.transaction): it commits, or rolls back and re-raises;
after losing a race with a concurrent request it runs again on the new state, where a
commuting change applies and any other is refused by the checks below.

Drafts store proposed values as JSON on `UsulanItem` rows; the official record (Pegawai and its
history/family rows) changes only when the last verification applies every item, in the same
transaction as the status change, writing one `RecordChange` per changed field.

Rooms: catalogue (sections, fields, labels, action names), errors (the WorkflowError tree),
values (coerce, encode), display (values as people read them; the only one touching
request/g), diff (diff, conflicts, kirim_problems), phases (the schedule), drafts (the PNS's
side), apply (to the official record), transitions (TRANSITIONS, transition, set_verdict).
This module re-exports their public names, so `workflow.transition(...)` call sites stay.
"""

from .catalogue import (
    ACTIONS,
    ACTION_LABELS,
    BKN_FIELDS,
    BKN_SECTIONS,
    CHILD_MODELS,
    DATA_UTAMA,
    DATA_UTAMA_FIELDS,
    FIELD_CHOICES,
    KEMBALIKAN,
    KIRIM,
    SECTIONS,
    SECTION_LABELS,
    TURUN_STATUS,
    VERIFIKASI,
    field_label,
    model_of_table,
    section_column,
    section_enum,
    section_fields,
)
from .errors import (
    AlreadyHandled,
    AlreadySent,
    ConcurrentChange,
    Conflict,
    RecordRefused,
    ConflictEntry,
    DraftLocked,
    InvalidValue,
    KirimRefused,
    NotAllowed,
    NotFound,
    PhaseClosed,
    Problem,
    ReasonRequired,
    WorkflowError,
)
from .values import (
    coerce,
    encode,
    proposed_values,
    row_values,
    snapshot_values,
)
from .display import (
    ReferenceNames,
    display_value,
    prime_display,
    reference_names,
)
from .diff import (
    FieldDiff,
    RowDiff,
    conflicts,
    diff,
    kirim_problems,
    proposed_findings,
    proposed_record,
    official_rows,
    open_usulan,
    proposed_state,
    reviewed_sections,
    touches_bkn,
)
from .phases import (
    EDIT_PHASES,
    RESUBMIT_PHASES,
    VERIFY_PHASES,
    open_phases,
    phase_allows,
    was_returned,
)
from .drafts import (
    ItemDocuments,
    item_documents,
    mark_reviewed,
    open_draft,
    propose,
    propose_with_upload,
    withdraw,
)
from .apply import (
    apply,
    apply_item,
    change_rows,
    record_changes,
    sync_current_golongan,
)
from .transitions import (
    LEVELS,
    TRANSITIONS,
    Transition,
    acting_role,
    allowed_actions,
    set_verdict,
    transition,
)

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "BKN_FIELDS",
    "BKN_SECTIONS",
    "CHILD_MODELS",
    "DATA_UTAMA",
    "DATA_UTAMA_FIELDS",
    "FIELD_CHOICES",
    "KEMBALIKAN",
    "KIRIM",
    "SECTIONS",
    "SECTION_LABELS",
    "TURUN_STATUS",
    "VERIFIKASI",
    "field_label",
    "model_of_table",
    "section_column",
    "section_enum",
    "section_fields",
    "AlreadyHandled",
    "AlreadySent",
    "ConcurrentChange",
    "Conflict",
    "RecordRefused",
    "ConflictEntry",
    "DraftLocked",
    "InvalidValue",
    "KirimRefused",
    "NotAllowed",
    "NotFound",
    "PhaseClosed",
    "Problem",
    "ReasonRequired",
    "WorkflowError",
    "coerce",
    "encode",
    "proposed_values",
    "row_values",
    "snapshot_values",
    "ReferenceNames",
    "display_value",
    "prime_display",
    "reference_names",
    "FieldDiff",
    "RowDiff",
    "conflicts",
    "diff",
    "kirim_problems",
    "proposed_findings",
    "proposed_record",
    "official_rows",
    "open_usulan",
    "proposed_state",
    "reviewed_sections",
    "touches_bkn",
    "EDIT_PHASES",
    "RESUBMIT_PHASES",
    "VERIFY_PHASES",
    "open_phases",
    "phase_allows",
    "was_returned",
    "ItemDocuments",
    "item_documents",
    "mark_reviewed",
    "open_draft",
    "propose",
    "propose_with_upload",
    "withdraw",
    "apply",
    "apply_item",
    "change_rows",
    "record_changes",
    "sync_current_golongan",
    "LEVELS",
    "TRANSITIONS",
    "Transition",
    "acting_role",
    "allowed_actions",
    "set_verdict",
    "transition",
]
