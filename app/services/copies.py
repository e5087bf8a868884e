"""Copies of Pegawai fields kept on the rows that national lists filter and sort on.

The approval inbox filters Registrasi.instansi_id, the verification inbox Usulan.instansi_id
/ unit_kerja_id and sorts on Usulan.pegawai_nama: each inbox page is then one index range of
its own table, at 4.5 million PNS, instead of a join through every Pegawai. Who may act on a
row is always judged on the Pegawai itself (services.scope, services.workflow); these copies
only decide where a row is listed.

One session listener keeps them in step, whatever changed the Pegawai (a staff edit, the
import, a helpdesk correction, an applied submission): the live registration and the open
submission follow their Pegawai, and a new submission starts with his name. The workflow
also refreshes the Usulan's copies at each step.
"""

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import Pegawai
from ..models.registration import Registrasi
from ..models.submission import Usulan


def _changed(pegawai, *names) -> bool:
    attrs = inspect(pegawai).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _current(pegawai, relation, column):
    # A form sets the relationship; its column follows only during the flush.
    related = getattr(pegawai, relation)
    return related.id if related is not None else getattr(pegawai, column)


def _follow(session, pegawai) -> None:
    instansi_id = _current(pegawai, "instansi", "instansi_id")
    unit_id = _current(pegawai, "unit_kerja", "unit_kerja_id")
    conn = session.connection()
    if _changed(pegawai, "instansi", "instansi_id"):
        conn.execute(
            update(Registrasi.__table__)
            .where(Registrasi.pegawai_id == pegawai.id, Registrasi.status.in_(Registrasi.LIVE_STATUSES))
            .values(instansi_id=instansi_id)
        )
    # The open submission: its version column is left alone (a copy is not a change of the
    # submission a verifier has open).
    conn.execute(
        update(Usulan.__table__)
        .where(Usulan.pegawai_id == pegawai.id, Usulan.status != Usulan.SELESAI)
        .values(instansi_id=instansi_id, unit_kerja_id=unit_id, pegawai_nama=pegawai.nama)
    )
    for obj in list(session.identity_map.values()):
        if getattr(obj, "pegawai_id", None) != pegawai.id:
            continue
        if isinstance(obj, Registrasi) and obj.status in Registrasi.LIVE_STATUSES:
            set_committed_value(obj, "instansi_id", instansi_id)
        elif isinstance(obj, Usulan) and obj.status != Usulan.SELESAI:
            for name, value in (
                ("instansi_id", instansi_id),
                ("unit_kerja_id", unit_id),
                ("pegawai_nama", pegawai.nama),
            ):
                set_committed_value(obj, name, value)


@event.listens_for(Session, "before_flush")
def _keep_copies(session, _flush_context, _instances):
    for obj in session.new:
        if isinstance(obj, Usulan) and obj.pegawai_nama is None:
            pegawai = obj.pegawai if obj.pegawai is not None else None
            obj.pegawai_nama = (
                pegawai.nama
                if pegawai is not None
                else session.connection().scalar(select(Pegawai.nama).where(Pegawai.id == obj.pegawai_id))
            )
        elif isinstance(obj, Registrasi) and obj.instansi_id is None:
            pegawai = obj.pegawai
            obj.instansi_id = (
                pegawai.instansi_id
                if pegawai is not None
                else session.connection().scalar(select(Pegawai.instansi_id).where(Pegawai.id == obj.pegawai_id))
            )
    for obj in session.dirty:
        if (
            isinstance(obj, Pegawai)
            and obj.id is not None
            and _changed(obj, "instansi", "instansi_id", "unit_kerja", "unit_kerja_id", "nama")
        ):
            _follow(session, obj)
