"""rekap monitoring aggregates and verification queues

Materialised monitoring figures (models.monitoring), rebuilt by services.monitoring.refresh().

Revision ID: e95ef1bfdbff
Revises: 67846d900b5c
Create Date: 2026-11-26 07:36:21.076911

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e95ef1bfdbff'
down_revision = '67846d900b5c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rekap_antrian',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('kanreg_id', sa.Integer(), nullable=False),
    sa.Column('instansi_id', sa.Integer(), nullable=True),
    sa.Column('unit_kerja_id', sa.Integer(), nullable=True),
    sa.Column('unit_path', sa.String(length=255), nullable=True),
    sa.Column('jumlah', sa.Integer(), nullable=False),
    sa.Column('oldest_since', sa.DateTime(), nullable=False),
    sa.Column('median_since', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rekap_antrian', schema=None) as batch_op:
        batch_op.create_index('ix_rekap_antrian_kanreg', ['kanreg_id', 'instansi_id'], unique=False)
        batch_op.create_index('ix_rekap_antrian_oldest', ['oldest_since'], unique=False)

    op.create_table('rekap_refresh',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('rekap_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kanreg_id', sa.Integer(), nullable=False),
    sa.Column('instansi_id', sa.Integer(), nullable=False),
    sa.Column('unit_kerja_id', sa.Integer(), nullable=True),
    sa.Column('unit_path', sa.String(length=255), nullable=True),
    sa.Column('jumlah_pns', sa.Integer(), nullable=False),
    sa.Column('terdaftar', sa.Integer(), nullable=False),
    sa.Column('disetujui', sa.Integer(), nullable=False),
    sa.Column('belum_daftar', sa.Integer(), nullable=False),
    sa.Column('menunggu', sa.Integer(), nullable=False),
    sa.Column('belum_kirim', sa.Integer(), nullable=False),
    sa.Column('dikembalikan', sa.Integer(), nullable=False),
    sa.Column('di_skpd', sa.Integer(), nullable=False),
    sa.Column('di_instansi', sa.Integer(), nullable=False),
    sa.Column('di_bkn', sa.Integer(), nullable=False),
    sa.Column('selesai', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rekap_unit', schema=None) as batch_op:
        batch_op.create_index('ix_rekap_unit_instansi_path', ['instansi_id', 'unit_path'], unique=False)
        batch_op.create_index('ix_rekap_unit_kanreg', ['kanreg_id', 'instansi_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rekap_unit', schema=None) as batch_op:
        batch_op.drop_index('ix_rekap_unit_kanreg')
        batch_op.drop_index('ix_rekap_unit_instansi_path')

    op.drop_table('rekap_unit')
    op.drop_table('rekap_refresh')
    with op.batch_alter_table('rekap_antrian', schema=None) as batch_op:
        batch_op.drop_index('ix_rekap_antrian_oldest')
        batch_op.drop_index('ix_rekap_antrian_kanreg')

    op.drop_table('rekap_antrian')
