"""Coded fields store codes: typed values converted to the codes of models.codes

Revision ID: d4b8e2f6a1c9
Revises: c3a1d9e4b7f2
Create Date: 2026-12-08 01:00:00.000000

Jenis kelamin, status hidup/anak, hubungan, jenis KP, eselon, SKP/kompetensi jenis, status
kepemilikan and jenis hukuman were free-text boxes ("Laki-laki" on an Anak, "L" on the
Pegawai). Every value is converted with models.codes.to_code (codes, labels and SYNONYMS,
any case, trimmed). A value it cannot map is left as it is and reported, one WARNING line of
the alembic logger per row (table, id, column, value); the data-quality report lists it
through rules.check_codes (code.unknown) until someone corrects it.

Downgrade changes no data: the typed spellings are not kept, and the codes are valid values
of the old free-text columns.
"""

import logging

from alembic import op
import sqlalchemy as sa

from app.models.codes import to_code


# revision identifiers, used by Alembic.
revision = "d4b8e2f6a1c9"
down_revision = "c3a1d9e4b7f2"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# The coded columns at this revision: (table, column, enum, nullable). Frozen here, not read
# from models.codes.CODED_COLUMNS, so a later column does not change what this step did.
CODED_COLUMNS = (
    ("pegawai", "jenis_kelamin", "jenis_kelamin", False),
    ("pegawai", "status", "status_pegawai", False),
    ("pasangan", "status_hidup", "status_hidup", False),
    ("anak", "jenis_kelamin", "jenis_kelamin", True),
    ("anak", "status_anak", "status_anak", False),
    ("anak", "status_hidup", "status_hidup", False),
    ("orang_tua", "hubungan", "hubungan_orang_tua", False),
    ("orang_tua", "status_hidup", "status_hidup", False),
    ("perumahan", "status_kepemilikan", "status_kepemilikan", False),
    ("riwayat_golongan", "jenis_kp", "jenis_kp", True),
    ("riwayat_jabatan", "eselon", "eselon", True),
    ("riwayat_skp", "jenis", "jenis_skp", False),
    ("kompetensi", "jenis", "jenis_kompetensi", False),
    ("hukuman_disiplin", "jenis_hukuman", "jenis_hukuman", False),
)


def convert_column(bind, table_name, column_name, enum, nullable):
    """Convert one column, one UPDATE per distinct typed value (tables hold millions of rows
    and a few dozen spellings); returns the number of rows left unmapped."""
    table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column_name, sa.String))
    column = table.c[column_name]
    values = bind.execute(sa.select(column).where(column.is_not(None)).distinct()).scalars().all()
    unmapped = 0
    for value in values:
        if nullable and not value.strip():
            # An empty box is no value.
            bind.execute(table.update().where(column == value).values({column_name: None}))
            continue
        code = to_code(enum, value)
        if code == value:
            continue
        if code is not None:
            bind.execute(table.update().where(column == value).values({column_name: code}))
            continue
        ids = bind.execute(sa.select(table.c.id).where(column == value).order_by(table.c.id)).scalars().all()
        for row_id in ids:
            log.warning("unmapped code: table=%s id=%s column=%s value=%r", table_name, row_id, column_name, value)
        unmapped += len(ids)
    return unmapped


def upgrade():
    bind = op.get_bind()
    unmapped = sum(convert_column(bind, *spec) for spec in CODED_COLUMNS)
    if unmapped:
        log.warning("coded fields: %d value(s) left as they were (see the lines above)", unmapped)


def downgrade():
    # No data change: the codes are valid values of the free-text columns (see above).
    pass
