"""Which phase of the run is open today, for whom."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select

from ..models.schedule import Jadwal


@dataclass(frozen=True)
class PhaseInfo:
    fase: str | None  # None: no phase open today
    mulai: dt.date | None = None
    selesai: dt.date | None = None
    today: dt.date | None = None

    @property
    def days_left(self) -> int | None:
        """Days remaining including today (the last day counts as 1)."""
        if self.selesai is None or self.today is None:
            return None
        return (self.selesai - self.today).days + 1

    @property
    def is_open(self) -> bool:
        return self.fase is not None


def current_phase(session, *, instansi=None, today=None) -> PhaseInfo:
    """The phase open today; a row for the instansi beats one for its Kanreg beats a national one."""
    today = today or dt.date.today()
    conditions = [Jadwal.kanreg_id.is_(None) & Jadwal.instansi_id.is_(None)]
    if instansi is not None:
        conditions.append(Jadwal.instansi_id == instansi.id)
        conditions.append(Jadwal.kanreg_id == instansi.kanreg_id)
    rows = session.scalars(select(Jadwal).where(Jadwal.mulai <= today, Jadwal.selesai >= today, or_(*conditions))).all()
    if not rows:
        return PhaseInfo(None, today=today)

    def specificity(row):
        return 2 if row.instansi_id else 1 if row.kanreg_id else 0

    best = max(rows, key=lambda r: (specificity(r), r.mulai))
    return PhaseInfo(best.fase, best.mulai, best.selesai, today)
