"""The transition table and the only code that changes `Usulan.status`: `TRANSITIONS` says who
may move an Usulan from which status to which; `transition()` checks, moves, writes the
UsulanEvent and (still, until the events of issue 18 exist) queues the PNS's message."""

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

from flask_babel import lazy_gettext as _l

from ...models import Pegawai, utcnow
from ...models.submission import Usulan, UsulanEvent, UsulanItem
from ...roles import (
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from .. import audit, scope
from .apply import apply
from .catalogue import KEMBALIKAN, KIRIM, TURUN_STATUS, VERIFIKASI
from .diff import kirim_problems, touches_bkn
from .drafts import _copy_org, _lock, _run, _snapshot_utama, _unreview
from .events import UsulanFinished, UsulanReturned, emit
from .errors import AlreadyHandled, AlreadySent, InvalidValue, KirimRefused, NotAllowed, NotFound, ReasonRequired
from .phases import _phase_ok, _require_phase

# The level an event is recorded at, by the role the actor acted in.
LEVELS = {
    ROLE_PNS: "pns",
    ROLE_VERIFIKATOR_SKPD: "skpd",
    ROLE_VERIFIKATOR_INSTANSI: "instansi",
    ROLE_VERIFIKATOR_BKN: "bkn",
    ROLE_HELPDESK: "helpdesk",
    ROLE_ADMIN: "admin",
}


def _after_kirim(usulan: Usulan) -> str:
    """A record without a unit kerja has no SKPD verifier: it goes straight to the Instansi."""
    return Usulan.DI_SKPD if usulan.unit_kerja_id is not None else Usulan.DI_INSTANSI


def _after_instansi(usulan: Usulan) -> str:
    """BKN sees only submissions that touch BKN-level fields (decided at Kirim)."""
    return Usulan.DI_BKN if usulan.needs_bkn else Usulan.SELESAI


@dataclass(frozen=True)
class Transition:
    """`to`: the next status, or a function of the Usulan deciding it. `roles`: who may act;
    each role only within its own scope (the PNS: his own record; staff: services.scope)."""

    to: str | Callable[[Usulan], str]
    roles: tuple[str, ...]
    reason_required: bool = False

    def target(self, usulan: Usulan) -> str:
        return self.to(usulan) if callable(self.to) else self.to


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (Usulan.DRAFT, KIRIM): Transition(_after_kirim, (ROLE_PNS,)),
    (Usulan.DI_SKPD, VERIFIKASI): Transition(Usulan.DI_INSTANSI, (ROLE_VERIFIKATOR_SKPD,)),
    (Usulan.DI_INSTANSI, VERIFIKASI): Transition(_after_instansi, (ROLE_VERIFIKATOR_INSTANSI,)),
    (Usulan.DI_BKN, VERIFIKASI): Transition(Usulan.SELESAI, (ROLE_VERIFIKATOR_BKN,)),
    (Usulan.DI_SKPD, KEMBALIKAN): Transition(Usulan.DRAFT, (ROLE_VERIFIKATOR_SKPD,), True),
    (Usulan.DI_INSTANSI, KEMBALIKAN): Transition(Usulan.DRAFT, (ROLE_VERIFIKATOR_INSTANSI,), True),
    (Usulan.DI_BKN, KEMBALIKAN): Transition(Usulan.DRAFT, (ROLE_VERIFIKATOR_BKN,), True),
    **{
        (status, TURUN_STATUS): Transition(Usulan.DRAFT, (ROLE_HELPDESK, ROLE_ADMIN), True)
        for status in Usulan.IN_VERIFICATION
    },
}


def _single_role_user(actor, role_name):
    """`actor` seen in one of his roles only, so services.scope judges that role's scope
    (scope.pegawai_clause ORs over all roles of a user)."""
    return SimpleNamespace(
        is_authenticated=True,
        roles=[SimpleNamespace(name=role_name)],
        instansi_id=actor.instansi_id,
        unit_kerja=actor.unit_kerja,
        kanreg_id=actor.kanreg_id,
        pegawai_id=actor.pegawai_id,
        is_pns_account=getattr(actor, "is_pns_account", False),
    )


def acting_role(session, actor, usulan: Usulan, roles) -> str | None:
    """The first of `roles` that `actor` holds and whose scope covers the Usulan's Pegawai."""
    if actor is None or not getattr(actor, "is_active", False):
        return None
    held = {r.name for r in actor.roles}
    for role_name in roles:
        if role_name in held and scope.can_see_pegawai(session, _single_role_user(actor, role_name), usulan.pegawai_id):
            return role_name
    return None


def allowed_actions(session, actor, usulan: Usulan) -> list[str]:
    """The actions `actor` may take on `usulan` now, the schedule included (the buttons a page shows)."""
    allowed = []
    for (status, action), rule in TRANSITIONS.items():
        if status != usulan.status:
            continue
        role_name = acting_role(session, actor, usulan, rule.roles)
        if role_name and _phase_ok(session, usulan, action, role_name):
            allowed.append(action)
    return allowed


def _could_act_elsewhere(session, actor, usulan, action) -> bool:
    """True when `actor` may take `action` on this Usulan at some other status."""
    roles = {r for (_, a), rule in TRANSITIONS.items() if a == action for r in rule.roles}
    return acting_role(session, actor, usulan, sorted(roles)) is not None


def transition(
    session,
    actor,
    usulan_id: int,
    action: str,
    reason: str | None = None,
    expected_version: int | None = None,
    *,
    accept_conflicts: bool = False,
) -> UsulanEvent:
    """Move the Usulan by `action` if TRANSITIONS allows it to `actor`; one transaction.

    The row is locked and, when `expected_version` (the version the actor's page showed) is
    given, compared: of two verifiers acting at once exactly one succeeds, the other gets
    AlreadyHandled. Kirim runs every check (KirimRefused lists the problems). Reaching selesai
    applies every item to the official record in the same transaction; an official record
    changed since the draft raises Conflict unless the verifier, having seen `conflicts()`,
    passes `accept_conflicts`. Any error leaves everything as it was. Losing a race re-runs
    it on the new state, where the second of two clicks finds the status moved on and gets
    AlreadyHandled (AlreadySent for a second Kirim); the message is mailed after the commit."""
    reason = (reason or "").strip() or None
    return _run(
        session, lambda: _transition(session, actor, usulan_id, action, reason, expected_version, accept_conflicts)
    )


def _refuse_stale_or_foreign(session, actor, usulan, action, rule, stale):
    """Why `actor` may not take `action` now: raise the refusal that tells him."""
    if action == KIRIM and usulan.status != Usulan.DRAFT and acting_role(session, actor, usulan, (ROLE_PNS,)):
        raise AlreadySent(usulan)
    # A stale page, or an action he may take at another status: a second click, or a
    # colleague was quicker.
    if stale or _could_act_elsewhere(session, actor, usulan, action):
        raise AlreadyHandled()
    if rule is None:
        raise NotAllowed(
            _l("This submission is %(status)s; that action is not possible now.", status=usulan.status_label)
        )
    raise NotAllowed()


def _transition(session, actor, usulan_id, action, reason, expected_version, accept_conflicts):
    """The body of transition(), inside its unit of work."""
    usulan = _lock(session, usulan_id)
    stale = expected_version is not None and usulan.version != expected_version
    rule = TRANSITIONS.get((usulan.status, action))
    role_name = acting_role(session, actor, usulan, rule.roles) if rule else None
    if stale or role_name is None:
        _refuse_stale_or_foreign(session, actor, usulan, action, rule, stale)
    _require_phase(session, usulan, action, role_name)
    if rule.reason_required and not reason:
        raise ReasonRequired()
    from_status = usulan.status
    pegawai = session.get(Pegawai, usulan.pegawai_id)
    if action == KIRIM:
        _kirim(session, usulan, pegawai)
    elif action == VERIFIKASI and any(i.verdict == UsulanItem.TIDAK_SESUAI for i in usulan.items):
        raise NotAllowed(_l("Items are marked as not matching: return the submission instead."))
    _copy_org(usulan, pegawai)
    to_status = rule.target(usulan)
    usulan.status = to_status
    if to_status == Usulan.SELESAI:
        apply(session, usulan, actor, accept_conflicts=accept_conflicts)
        usulan.finished_at = utcnow()
    elif to_status == Usulan.DRAFT:
        # The PNS must look again at every section holding an item found not matching.
        for item in usulan.items:
            if item.verdict == UsulanItem.TIDAK_SESUAI:
                _unreview(usulan, item.section)
    event = UsulanEvent(
        usulan=usulan,
        actor_id=actor.id,
        actor_name=actor.username,
        level=LEVELS[role_name],
        from_status=from_status,
        to_status=to_status,
        action=action,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(event)
    # Verifiers' and the helpdesk's decisions are in the audit log too, with the IP: the event
    # row tells the submission's story, the audit log who did what from where.
    audit.record(
        session,
        f"usulan.{action}",
        actor=actor,
        target=usulan,
        detail=f"{from_status} -> {to_status}" + (f": {reason}" if reason else ""),
    )
    if to_status == Usulan.SELESAI:
        emit(session, UsulanFinished(usulan_id=usulan.id))
    elif to_status == Usulan.DRAFT:
        emit(session, UsulanReturned(usulan_id=usulan.id, reason=reason))
    session.flush()
    return event


def _kirim(session, usulan, pegawai):
    problems = kirim_problems(session, usulan)
    if problems:
        raise KirimRefused(problems)
    # Every section was reviewed against today's official values: base the proposal on them.
    usulan.base_record_version = pegawai.record_version
    usulan.base_json = _snapshot_utama(pegawai)
    usulan.needs_bkn = touches_bkn(usulan)
    usulan.submitted_at = utcnow()


def set_verdict(
    session,
    actor,
    usulan_id: int,
    item_id: int,
    verdict: str | None,
    reason_code: str | None = None,
    note: str | None = None,
) -> UsulanItem:
    """The verifier of the current level marks one item "sesuai" / "tidak sesuai" (with a
    reason code from UsulanItem.REASONS and free text) or clears the mark; one unit of work.
    Setting the mark it already has is harmless, so racing clicks are simply run again."""
    note = (note or "").strip() or None
    if verdict not in (None, *UsulanItem.VERDICTS):
        raise InvalidValue("verdict", _l("is not a valid value."))
    if verdict == UsulanItem.TIDAK_SESUAI:
        if reason_code not in UsulanItem.REASONS:
            raise ReasonRequired(_l("Choose a reason from the list."))
        if reason_code == "LAIN" and not note:
            raise ReasonRequired(_l("Describe the reason."))
    else:
        reason_code = None

    def judge():
        usulan = _lock(session, usulan_id)
        rule = TRANSITIONS.get((usulan.status, VERIFIKASI))
        role_name = acting_role(session, actor, usulan, rule.roles) if rule else None
        if role_name is None:
            # Verified or returned meanwhile (another window, a colleague) or never his.
            if _could_act_elsewhere(session, actor, usulan, VERIFIKASI):
                raise AlreadyHandled()
            raise NotAllowed()
        _require_phase(session, usulan, VERIFIKASI)
        item = next((i for i in usulan.items if i.id == item_id), None)
        if item is None:
            raise NotFound()
        item.verdict = verdict
        item.verdict_reason = reason_code
        item.verdict_note = note if verdict is not None else None
        item.verdict_level = LEVELS[role_name] if verdict is not None else None
        item.verdict_by_id = actor.id if verdict is not None else None
        item.verdict_at = utcnow() if verdict is not None else None
        return item

    return _run(session, judge)
