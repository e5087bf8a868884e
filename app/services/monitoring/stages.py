"""The stage ("tahap") of every active PNS, in the two forms that must agree: the set-based
select the refresh groups, and the EXISTS conditions the lists and exports filter live
records by (tests/test_monitoring.py checks that they do)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, select

from ...models import Pegawai
from ...models import monitoring as m
from ...models.registration import Registrasi
from ...models.submission import Usulan

TAHAP_LABELS = {
    m.TAHAP_BELUM_DAFTAR: _l("Not registered"),
    m.TAHAP_MENUNGGU: _l("Registration awaiting approval"),
    m.TAHAP_BELUM_KIRIM: _l("Not sent yet"),
    m.TAHAP_DIKEMBALIKAN: _l("Returned"),
    # The verification stages are the submission's own statuses, labelled once there.
    m.TAHAP_DI_SKPD: Usulan.STATUS_LABELS[Usulan.DI_SKPD],
    m.TAHAP_DI_INSTANSI: Usulan.STATUS_LABELS[Usulan.DI_INSTANSI],
    m.TAHAP_DI_BKN: Usulan.STATUS_LABELS[Usulan.DI_BKN],
    m.TAHAP_SELESAI: Usulan.STATUS_LABELS[Usulan.SELESAI],
}
LEVELS = (Usulan.DI_SKPD, Usulan.DI_INSTANSI, Usulan.DI_BKN)

COUNT_COLUMNS = ("jumlah_pns", "terdaftar", "disetujui", *m.TAHAP)


def stage_select():
    """One row per active PNS: instansi, unit, live registration (0/1), approved (0/1), tahap."""
    reg = (
        select(
            Registrasi.pegawai_id.label("pegawai_id"),
            func.max(case((Registrasi.status == Registrasi.STATUS_DISETUJUI, 1), else_=0)).label("approved"),
        )
        .where(Registrasi.status.in_(Registrasi.LIVE_STATUSES))
        .group_by(Registrasi.pegawai_id)
        .subquery("reg")
    )
    progress = (
        select(
            Usulan.pegawai_id.label("pegawai_id"),
            # At most one open submission per Pegawai (partial unique index): max() picks it.
            func.max(case((Usulan.status.in_(LEVELS), Usulan.status))).label("level"),
            func.max(case((Usulan.status == Usulan.SELESAI, 1), else_=0)).label("done"),
            func.max(case((and_(Usulan.status == Usulan.DRAFT, Usulan.submitted_at.is_not(None)), 1), else_=0)).label(
                "returned"
            ),
        )
        .group_by(Usulan.pegawai_id)
        .subquery("progress")
    )
    tahap = case(
        (progress.c.level.is_not(None), progress.c.level),
        (progress.c.done == 1, m.TAHAP_SELESAI),
        (progress.c.returned == 1, m.TAHAP_DIKEMBALIKAN),
        (reg.c.approved == 1, m.TAHAP_BELUM_KIRIM),
        (reg.c.pegawai_id.is_not(None), m.TAHAP_MENUNGGU),
        else_=m.TAHAP_BELUM_DAFTAR,
    )
    return (
        select(
            Pegawai.instansi_id,
            Pegawai.unit_kerja_id,
            case((reg.c.pegawai_id.is_not(None), 1), else_=0).label("live"),
            func.coalesce(reg.c.approved, 0).label("approved"),
            tahap.label("tahap"),
        )
        .outerjoin(reg, reg.c.pegawai_id == Pegawai.id)
        .outerjoin(progress, progress.c.pegawai_id == Pegawai.id)
        .where(Pegawai.status.in_(Pegawai.ACTIVE_STATUSES))
    )


def tahap_clause(tahap: str):
    """Condition on Pegawai for the active PNS in stage `tahap` (same rule as the refresh)."""
    sent = exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status != Usulan.DRAFT)
    returned = exists().where(
        Usulan.pegawai_id == Pegawai.id, Usulan.status == Usulan.DRAFT, Usulan.submitted_at.is_not(None)
    )
    live = exists().where(Registrasi.pegawai_id == Pegawai.id, Registrasi.status.in_(Registrasi.LIVE_STATUSES))
    approved = exists().where(Registrasi.pegawai_id == Pegawai.id, Registrasi.status == Registrasi.STATUS_DISETUJUI)
    waiting = {level: exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status == level) for level in LEVELS}
    done = exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status == Usulan.SELESAI)
    clause = {
        m.TAHAP_BELUM_DAFTAR: and_(~sent, ~returned, ~live),
        m.TAHAP_MENUNGGU: and_(~sent, ~returned, live, ~approved),
        m.TAHAP_BELUM_KIRIM: and_(~sent, ~returned, approved),
        m.TAHAP_DIKEMBALIKAN: and_(~sent, returned),
        m.TAHAP_SELESAI: and_(done, *[~w for w in waiting.values()]),
        **waiting,
    }[tahap]
    return and_(Pegawai.status.in_(Pegawai.ACTIVE_STATUSES), clause)


def verified_clause():
    """The verified records: PNS with at least one finished submission (their official
    record went through every level), whatever they may have sent since."""
    return exists().where(Usulan.pegawai_id == Pegawai.id, Usulan.status == Usulan.SELESAI)
