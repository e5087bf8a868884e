"""The rules' findings on a submission placed where the verifier reads them: next to the
proposed change (item) they concern. Kirim refuses the errors; warnings (implausible but
possible: a golongan jump, a parent of 16, a PNS past retirement age still active) reach the
verifier highlighted, and "Ringkasan Usulan" lists them under "Perhatian". Reads only."""

from dataclasses import dataclass, field

from ...models.submission import Usulan
from .. import rules
from .catalogue import DATA_UTAMA, SECTIONS
from .diff import proposed_findings, proposed_state


@dataclass
class PlacedFindings:
    """Every finding (`all`, warnings and any error that slipped in) and those shown next to a
    proposed change (`by_item`, item id -> findings). A finding about a row the submission
    does not touch, or across rows (golongan history), goes with the first change of its
    section; with no change in that section it is in `all` only."""

    all: list = field(default_factory=list)
    by_item: dict = field(default_factory=dict)

    @property
    def warnings(self) -> list:
        return rules.warnings(self.all)

    @property
    def errors(self) -> list:
        return rules.blocking(self.all)

    def fields_of(self, item_id) -> dict:
        """field name -> severity of the findings next to one item ("error" wins)."""
        result = {}
        for finding in self.by_item.get(item_id, []):
            if result.get(finding.field) != rules.ERROR:
                result[finding.field] = finding.severity
        return result


def placed_findings(session, usulan: Usulan) -> PlacedFindings:
    """The findings of services.rules on the record `usulan` would make, placed by item. None
    for a finished submission: its changes are in the official record already, so the draft
    laid over it would count its added rows twice."""
    if usulan.status == Usulan.SELESAI or not usulan.items:
        return PlacedFindings()
    found = proposed_findings(session, usulan)
    order = {name: n for n, name in enumerate(SECTIONS)}
    found.sort(key=lambda f: (order.get(f.section or DATA_UTAMA, 99), f.row if f.row is not None else -1))
    first_item = {}
    for item in sorted(usulan.items, key=lambda i: i.id or 0):
        first_item.setdefault(item.section, item.id)
    row_items = {}
    placed = PlacedFindings(all=found)
    for finding in found:
        section = finding.section or DATA_UTAMA
        item_id = None
        if finding.row is not None and section != DATA_UTAMA:
            if section not in row_items:
                row_items[section] = [r["item_id"] for r in proposed_state(session, usulan, section)]
            rows = row_items[section]
            item_id = rows[finding.row] if finding.row < len(rows) else None
        item_id = item_id or first_item.get(section)
        if item_id is not None:
            placed.by_item.setdefault(item_id, []).append(finding)
    return placed
