"""Organisation: Kanreg BKN, Instansi and the Unit kerja tree."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    cast,
    column,
    event,
    exists,
    inspect,
    select,
    table,
    update,
)
from sqlalchemy.orm import object_session, relationship
from sqlalchemy.orm.attributes import set_committed_value

from .base import Model, TimestampMixin


class Kanreg(Model):
    """BKN regional office (Kantor Regional I–XIV)."""

    __tablename__ = "kanreg"
    id = Column(Integer, primary_key=True)
    kode = Column(String(8), unique=True, nullable=False)  # roman numeral, e.g. "V"
    nama = Column(String(100), nullable=False)

    def __repr__(self):
        return f"Kanreg {self.kode} {self.nama}"


class Instansi(TimestampMixin, Model):
    """Agency: a ministry / central body (pusat) or a province / regency / city (daerah)."""

    __tablename__ = "instansi"
    JENIS_PUSAT = "pusat"
    JENIS_DAERAH = "daerah"

    id = Column(Integer, primary_key=True)
    kode = Column(String(10), unique=True, nullable=False)
    nama = Column(String(200), nullable=False)
    jenis = Column(String(10), nullable=False, default=JENIS_DAERAH)
    kanreg_id = Column(Integer, ForeignKey("kanreg.id"), nullable=False, index=True)
    kanreg = relationship("Kanreg")

    def __repr__(self):
        return self.nama


class UnitKerja(TimestampMixin, Model):
    """Work unit (unor), a tree under one instansi. `path` is the materialised path
    (`/1/7/42/`) so a subtree is one indexed prefix match instead of a recursive query.
    It is derived from the parent chain on every insert and update (below): set `parent`,
    never `path`."""

    __tablename__ = "unit_kerja"
    id = Column(Integer, primary_key=True)
    kode = Column(String(20), unique=True, nullable=False)
    nama = Column(String(200), nullable=False)
    instansi_id = Column(Integer, ForeignKey("instansi.id"), nullable=False, index=True)
    instansi = relationship("Instansi")
    parent_id = Column(Integer, ForeignKey("unit_kerja.id"), nullable=True, index=True)
    parent = relationship("UnitKerja", remote_side=[id])
    path = Column(String(255), nullable=False, default="/")
    aktif = Column(Boolean, nullable=False, default=True)

    __table_args__ = (
        # A subtree is `path LIKE '/1/7/%'`. Under a database collation other than C, PostgreSQL
        # serves a prefix LIKE only from a pattern_ops index; on SQLite this is a plain index.
        Index("ix_unit_kerja_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
        {"extend_existing": True},
    )

    def __repr__(self):
        return self.nama


# --------------------------------------------------------------------------------------------
# The unit tree's invariants, kept on every insert and update whatever makes it (the Admin
# form, the import, the seed): `path` is always derived from the parent chain, never typed;
# a unit is never its own ancestor; a unit has its parent's instansi. A wrong path is a
# wrong scope: a Verifikator SKPD reads and verifies the subtree under his unit's path.
# --------------------------------------------------------------------------------------------
_units = UnitKerja.__table__
# Tables that keep a copy of a unit's path (monitoring figures) or point into the tree, named
# here without importing their models (they import nothing from this module).
_PATH_COPIES = (
    table("rekap_unit", column("unit_kerja_id"), column("unit_path")),
    table("rekap_antrian", column("unit_kerja_id"), column("unit_path")),
)
_pegawai = table("pegawai", column("unit_kerja_id"))
_MAX_DEPTH = 64  # far deeper than any real tree; only a corrupt (cyclic) chain gets there
_CHUNK = 500  # ids per IN list when the copies of a moved subtree are rewritten

MSG_CYCLE = _l(
    "A work unit cannot be placed under itself or under one of its own sub-units; choose another parent unit."
)
MSG_OTHER_INSTANSI = _l("The parent unit belongs to another instansi; choose a parent unit of the same instansi.")
MSG_INSTANSI_LOCKED = _l(
    "The instansi of a work unit that still has sub-units or employees cannot "
    "change; move its sub-units and employees first."
)


class UnitTreeError(ValueError):
    """A change that would break the unit tree; `str()` is the message for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


def _current_id(unit, relation, column):
    """The id `unit` refers to now: a form sets the relationship, and its column follows only
    during the flush; code that sets the column leaves the relationship alone."""
    attrs = inspect(unit).attrs
    if attrs[relation].history.has_changes():
        related = getattr(unit, relation)
        return related.id if related is not None else None
    return getattr(unit, column)


def _stored_instansi_id(unit):
    history = inspect(unit).attrs.instansi_id.history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else None


def _ancestor_ids(connection, parent_id, unit_id) -> list[int]:
    """Ids from the root down to `parent_id`, read from the stored parent links (not from the
    stored paths, which this module is about to rewrite). UnitTreeError when `unit_id` is
    among them: the unit would become its own ancestor."""
    chain, current = [], parent_id
    while current is not None:
        if current == unit_id or current in chain or len(chain) >= _MAX_DEPTH:
            raise UnitTreeError(MSG_CYCLE)
        chain.append(current)
        current = connection.scalar(select(_units.c.parent_id).where(_units.c.id == current))
    return chain[::-1]


def tree_problem(connection, unit) -> str | None:
    """Why `unit` as it now stands would break the tree (a message for the user), or None.
    Reads stored rows only, so it may run before the flush (a form's pre_add/pre_update,
    inside `no_autoflush`) as well as during it."""
    parent_id = _current_id(unit, "parent", "parent_id")
    instansi_id = _current_id(unit, "instansi", "instansi_id")
    try:
        _ancestor_ids(connection, parent_id, unit.id)
    except UnitTreeError as refused:
        return refused.message
    if parent_id is not None:
        parent_instansi = connection.scalar(select(_units.c.instansi_id).where(_units.c.id == parent_id))
        if parent_instansi != instansi_id:
            return MSG_OTHER_INSTANSI
    stored = _stored_instansi_id(unit) if unit.id is not None else None
    if stored is not None and stored != instansi_id:
        occupied = connection.scalar(
            select(exists().where(_units.c.parent_id == unit.id) | exists().where(_pegawai.c.unit_kerja_id == unit.id))
        )
        if occupied:
            return MSG_INSTANSI_LOCKED
    return None


def _derived_path(connection, unit) -> str:
    ids = [*_ancestor_ids(connection, unit.parent_id, unit.id), unit.id]
    return "/" + "".join(f"{i}/" for i in ids)


def _check(connection, unit):
    problem = tree_problem(connection, unit)
    if problem is not None:
        raise UnitTreeError(problem)


@event.listens_for(UnitKerja, "before_insert")
def _before_insert(_mapper, connection, unit):
    _check(connection, unit)
    unit.path = "/"  # the id is part of the path: set right after the INSERT


@event.listens_for(UnitKerja, "after_insert")
def _after_insert(_mapper, connection, unit):
    path = _derived_path(connection, unit)
    connection.execute(update(_units).where(_units.c.id == unit.id).values(path=path))
    set_committed_value(unit, "path", path)


@event.listens_for(UnitKerja, "before_update")
def _before_update(_mapper, connection, unit):
    _check(connection, unit)
    path = _derived_path(connection, unit)
    if path != unit.path:
        unit.path = path
        unit._pupns_moved = True  # after the UPDATE: the subtree and the copies follow


@event.listens_for(UnitKerja, "after_update")
def _after_update(_mapper, connection, unit):
    if unit.__dict__.pop("_pupns_moved", False):
        _move_subtree(connection, object_session(unit), unit.id)


def _move_subtree(connection, session, unit_id) -> None:
    """Rewrite the paths under `unit_id` (whose own path is already new) level by level from
    each parent's path, then every copy of them, in the flush's transaction."""
    parent = _units.alias("parent_unit")
    parent_path = select(parent.c.path).where(parent.c.id == _units.c.parent_id).scalar_subquery()
    # No cycle can hang below: the unit is not its own ancestor (checked before the UPDATE),
    # and a unit in a cycle has no parent chain that reaches it.
    moved, frontier = [unit_id], [unit_id]
    while frontier:
        for part in _chunks(frontier):
            connection.execute(
                update(_units)
                .where(_units.c.parent_id.in_(part))
                .values(path=parent_path + cast(_units.c.id, String) + "/")
            )
        frontier = [
            i
            for part in _chunks(frontier)
            for i in connection.scalars(select(_units.c.id).where(_units.c.parent_id.in_(part)))
        ]
        moved += frontier
    paths = {}
    for part in _chunks(moved):
        paths.update(connection.execute(select(_units.c.id, _units.c.path).where(_units.c.id.in_(part))).all())
        for copy in _PATH_COPIES:
            own = select(_units.c.path).where(_units.c.id == copy.c.unit_kerja_id).scalar_subquery()
            connection.execute(update(copy).where(copy.c.unit_kerja_id.in_(part)).values(unit_path=own))
    # Objects this session already holds show the new paths too.
    for obj in list(session.identity_map.values()) if session is not None else ():
        if isinstance(obj, UnitKerja) and obj.id in paths:
            set_committed_value(obj, "path", paths[obj.id])
        elif getattr(obj, "__tablename__", None) in ("rekap_unit", "rekap_antrian") and obj.unit_kerja_id in paths:
            set_committed_value(obj, "unit_path", paths[obj.unit_kerja_id])


def _chunks(ids):
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
