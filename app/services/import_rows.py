"""The data-utama rows of an upload that belong to its instansi (services.import_jobs).

A stop-gap until `importer.import_pegawai` restricts an import to one instansi itself
(`instansi_id=`, issue 14): import_jobs uses this only while the importer lacks it. Rejects,
before the importer sees them, a row naming another instansi_kode and a row whose NIP is
a Pegawai of another instansi (an import must not move him).
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Pegawai
from . import importer

# Rows looked up together when checking that their NIPs are not another instansi's.
CHUNK = 500


def _cell_text(cell) -> str | None:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = "" if cell is None else str(cell).strip()
    return text or None


@dataclass
class OwnInstansiRows:
    """The file's rows that belong to the batch's instansi; the others are rejected here,
    with their reason, and never reach the importer."""

    source: object
    instansi_id: int
    instansi_kode: str
    progress: object  # import_jobs._Progress: advance(n), beat()
    rejected: list = field(default_factory=list)  # list of lists of RowError

    def __iter__(self):
        chunk = []
        for item in self.source:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                yield from self._checked(chunk)
                chunk = []
        yield from self._checked(chunk)

    def _checked(self, chunk):
        nips = {n for n in (_cell_text(raw.get("nip")) for _, raw in chunk) if n}
        elsewhere = set()
        if nips:
            with Session(bind=db.engine) as session:
                query = select(Pegawai.nip).where(Pegawai.nip.in_(nips), Pegawai.instansi_id != self.instansi_id)
                elsewhere = set(session.scalars(query))
        for number, raw in chunk:
            kode = _cell_text(raw.get("instansi_kode"))
            if kode is not None and kode != self.instansi_kode:
                self._reject(
                    importer.RowError(
                        number,
                        "instansi_kode",
                        _l(
                            "%(kode)s is not your instansi; this import is for instansi %(own)s only.",
                            kode=kode[:40],
                            own=self.instansi_kode,
                        ),
                    )
                )
            elif _cell_text(raw.get("nip")) in elsewhere:
                self._reject(importer.RowError(number, "nip", _l("belongs to a Pegawai of another instansi.")))
            else:
                yield number, raw
            self.progress.beat()

    def _reject(self, error) -> None:
        self.rejected.append([error])
        self.progress.advance(1)

    def add_to(self, report) -> None:
        for errors in self.rejected:
            report.reject(errors)
        report.errors.sort(key=lambda e: e.row_number)
