""" "Ringkasan Usulan": the printable summary of a sent submission (PDF).

The PNS prints it from "Data Saya" once he has sent his draft; verifiers in scope print the
same document from the verification page. It shows the proposal as it was sent: for each
changed or removed row the official values the PNS saw when sending (the item's snapshot,
so a finished submission still shows what it changed), next to the proposed ones, and under
"Perhatian" the warnings of the rules on the proposed record (while it is being verified).
"""

from dataclasses import dataclass, field

from flask import make_response

from ..models import Pegawai, utcnow
from ..models.submission import Usulan, UsulanItem
from . import links, pdf, workflow

TEMPLATE = "pdf/ringkasan_usulan.html"


def printable(usulan: Usulan) -> bool:
    """Only a sent submission has a summary: a draft (never sent, or returned and being
    fixed) may still change."""
    return usulan.status != Usulan.DRAFT


@dataclass
class SummaryRow:
    """One proposed change as printed: (field, official, proposed) triples of display text
    and its document."""

    section: str
    operation: str
    fields: list = field(default_factory=list)
    dokumen: object = None


def _as_is(_field, text):
    return text


def summary_rows(session, usulan: Usulan, redact=_as_is) -> list[SummaryRow]:
    """The changes of `usulan` in section order (workflow.diff), each value as people read it
    (workflow.display_value: reference names, Indonesian dates; "" for no value), passed
    through `redact(field, text)` (views.privacy.redactor: NIKs masked for some readers)."""
    items = {item.id: item for item in usulan.items}
    changes = []
    for change in workflow.diff(session, usulan):
        item = items[change.item_id]
        snapshot = workflow.snapshot_values(item) if item.operation != UsulanItem.OP_ADD else {}
        triples = [(f.field, snapshot.get(f.field, f.official), f.proposed) for f in change.fields]
        changes.append((change, item, triples))
    workflow.prime_display(
        [
            (change.section, name, value)
            for change, _, triples in changes
            for name, *values in triples
            for value in values
        ]
    )
    rows = []
    for change, item, triples in changes:
        fields = [
            (
                name,
                redact(name, workflow.display_value(change.section, name, official)),
                redact(name, workflow.display_value(change.section, name, proposed)),
            )
            for name, official, proposed in triples
        ]
        rows.append(SummaryRow(change.section, change.operation, fields, item.dokumen))
    return rows


def render(session, usulan: Usulan, redact=_as_is) -> bytes:
    """The summary PDF of a sent `usulan` (the caller checks `printable` and the user's right,
    and passes `redact` for a reader who may not see every value in full)."""
    pegawai = session.get(Pegawai, usulan.pegawai_id)
    rows = summary_rows(session, usulan, redact)
    return pdf.render_pdf(
        TEMPLATE,
        usulan=usulan,
        pegawai=pegawai,
        rows=rows,
        documents=[r for r in rows if r.dokumen is not None],
        # "Perhatian": what the rules find implausible (warnings) on the proposed record.
        findings=workflow.placed_findings(session, usulan).all,
        section_labels=workflow.SECTION_LABELS,
        field_label=workflow.field_label,
        printed_at=utcnow(),
        # The QR opens the submission on the verification page (verifiers in scope).
        qr=pdf.qr_data_uri(links.external_url("VerificationInboxView.show", pk=usulan.id)),
    )


def response(session, usulan: Usulan, redact=_as_is):
    """The summary as an inline PDF response, never cached."""
    result = make_response(render(session, usulan, redact))
    result.headers["Content-Type"] = "application/pdf"
    result.headers["Content-Disposition"] = f'inline; filename="ringkasan-usulan-{usulan.id}.pdf"'
    result.headers["Cache-Control"] = "private, no-store"
    return result
