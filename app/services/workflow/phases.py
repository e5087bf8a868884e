"""The schedule (Jadwal) as the workflow reads it: in which phases a PNS may edit and send
and a verifier may act. Drafts and transitions both ask it."""

from ...models import Instansi, Jadwal
from ...models.submission import Usulan
from ...roles import ROLE_ADMIN
from ..schedule import current_phase
from .catalogue import KIRIM, TURUN_STATUS
from .errors import PhaseClosed

# The schedule (DESIGN.md §3, Jadwal): a PNS edits and sends a new draft during pengisian; a
# draft that verification returned may still be fixed and sent again until verification ends;
# verifiers act during both phases. Admin extends a phase by editing its Jadwal row.
EDIT_PHASES = frozenset({Jadwal.FASE_PENGISIAN})
RESUBMIT_PHASES = frozenset({Jadwal.FASE_PENGISIAN, Jadwal.FASE_VERIFIKASI})
VERIFY_PHASES = frozenset({Jadwal.FASE_PENGISIAN, Jadwal.FASE_VERIFIKASI})


def was_returned(usulan: Usulan) -> bool:
    """True when verification sent this draft back at least once."""
    return any(e.to_status == Usulan.DRAFT for e in usulan.events)


def open_phases(usulan: Usulan, action: str) -> frozenset:
    """The phases in which `action` (KIRIM also stands for editing the draft) is allowed."""
    if action == KIRIM:
        return RESUBMIT_PHASES if was_returned(usulan) else EDIT_PHASES
    return VERIFY_PHASES


def phase_allows(session, usulan: Usulan, action: str) -> bool:
    """Whether today's phase for the Usulan's instansi allows `action`."""
    instansi = session.get(Instansi, usulan.instansi_id) if usulan.instansi_id else None
    return current_phase(session, instansi=instansi).fase in open_phases(usulan, action)


def _phase_ok(session, usulan, action, role_name) -> bool:
    # Admin may still send a submission back after the run closed (to correct it).
    return (action == TURUN_STATUS and role_name == ROLE_ADMIN) or phase_allows(session, usulan, action)


def _require_phase(session, usulan, action, role_name=None):
    if not _phase_ok(session, usulan, action, role_name):
        raise PhaseClosed()
