"""The lists behind the figures (belum daftar, belum kirim, dikembalikan): live records of
one area, one page at a time, in the user's scope."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true

from ...models import Instansi, Pegawai, UnitKerja
from ...models import monitoring as m
from .. import scope
from .areas import INSTANSI, KANREG, NASIONAL, UNIT, Node
from .figures import Figures
from .stages import tahap_clause, verified_clause

LIST_KINDS = (m.TAHAP_BELUM_DAFTAR, m.TAHAP_BELUM_KIRIM, m.TAHAP_DIKEMBALIKAN)
TERVERIFIKASI = "terverifikasi"
EXPORT_KINDS = (*LIST_KINDS, TERVERIFIKASI)
KIND_LABELS = {
    m.TAHAP_BELUM_DAFTAR: _l("Not registered"),
    m.TAHAP_BELUM_KIRIM: _l("Not sent yet"),
    m.TAHAP_DIKEMBALIKAN: _l("Returned"),
    TERVERIFIKASI: _l("Verified data"),
}


def pegawai_node_clause(node: Node):
    """Condition on Pegawai for the records inside `node`."""
    if node.level == NASIONAL:
        return true()
    if node.level == KANREG:
        return Pegawai.instansi_id.in_(select(Instansi.id).where(Instansi.kanreg_id == node.id))
    if node.level == INSTANSI:
        return Pegawai.instansi_id == node.id
    return Pegawai.unit_kerja_id.in_(select(UnitKerja.id).where(UnitKerja.path.startswith(node.path, autoescape=True)))


def kind_clause(kind: str):
    return verified_clause() if kind == TERVERIFIKASI else tahap_clause(kind)


LIST_SORTS = {  # (column, descending) pairs
    "nama": ((Pegawai.nama, False), (Pegawai.id, False)),
    "-nama": ((Pegawai.nama, True), (Pegawai.id, True)),
    "nip": ((Pegawai.nip, False),),
    "-nip": ((Pegawai.nip, True),),
    "unit": ((UnitKerja.nama, False), (Pegawai.nama, False), (Pegawai.id, False)),
}
LIST_SORT_LABELS = {
    "nama": _l("Name A-Z"),
    "-nama": _l("Name Z-A"),
    "nip": _l("NIP ascending"),
    "-nip": _l("NIP descending"),
    "unit": _l("Work unit"),
}


def _list_order(sort: str, local: bool):
    """ORDER BY of a list. With `local`, names and NIPs are sorted as expressions, so the
    database cannot walk the national name / NIP index: filtering that walk down to one area
    or to a rare list reads millions of rows when few match, while reading the matching rows
    through the area's (or the list's) own index and sorting them costs what they are."""
    order = []
    for column, descending in LIST_SORTS.get(sort, LIST_SORTS["nama"]):
        expression = func.upper(column) if local and (column is Pegawai.nama or column is Pegawai.nip) else column
        order.append(expression.desc() if descending else expression.asc())
    return order


def list_page(
    session,
    user,
    node: Node,
    kind: str,
    *,
    sort: str = "nama",
    page: int = 1,
    size: int = 50,
    counted: Figures | None = None,
):
    """One page of the PNS of `node` in list `kind` (LIST_KINDS), within `user`'s scope:
    (nip, nama, instansi, unit) tuples. NIK is never part of a list. `counted`, the figures
    of `node`, steers the query: nothing to read when the list is empty, and a list of less
    than 2 % of the area is read through its own rows rather than in national name order."""
    expected = getattr(counted, kind, None)
    if expected == 0:
        return []
    sparse = expected is not None and expected * 50 < counted.jumlah_pns
    local = node.level in (INSTANSI, UNIT) or sparse
    stmt = (
        select(Pegawai.nip, Pegawai.nama, Instansi.nama.label("instansi"), UnitKerja.nama.label("unit"))
        .join(Instansi, Instansi.id == Pegawai.instansi_id)
        .outerjoin(UnitKerja, UnitKerja.id == Pegawai.unit_kerja_id)
        .where(pegawai_node_clause(node), scope.pegawai_clause(user), kind_clause(kind))
        .order_by(*_list_order(sort, local))
        .limit(size)
        .offset((max(page, 1) - 1) * size)
    )
    return session.execute(stmt).all()
