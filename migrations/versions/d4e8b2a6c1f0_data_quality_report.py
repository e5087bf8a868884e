"""data-quality report: findings of the rules over the official record, counts, last runs

Derived tables (models.data_quality), rebuilt by services.data_quality.refresh().

Revision ID: d4e8b2a6c1f0
Revises: d4b8e2f6a1c9
Create Date: 2026-12-08 01:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8b2a6c1f0'
down_revision = 'd4b8e2f6a1c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_quality_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pegawai_id', sa.Integer(), nullable=False),
    sa.Column('instansi_id', sa.Integer(), nullable=False),
    sa.Column('kanreg_id', sa.Integer(), nullable=True),
    sa.Column('unit_path', sa.String(length=255), nullable=True),
    sa.Column('section', sa.String(length=40), nullable=False),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_quality_finding', schema=None) as batch_op:
        batch_op.create_index('ix_dq_finding_instansi_code', ['instansi_id', 'code', 'pegawai_id'], unique=False)
        batch_op.create_index('ix_dq_finding_pegawai', ['pegawai_id'], unique=False)

    op.create_table('data_quality_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instansi_id', sa.Integer(), nullable=False),
    sa.Column('kanreg_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_quality_count', schema=None) as batch_op:
        batch_op.create_index('ix_dq_count_instansi_code', ['instansi_id', 'code'], unique=False)
        batch_op.create_index('ix_dq_count_kanreg', ['kanreg_id', 'instansi_id'], unique=False)

    op.create_table('data_quality_run',
    sa.Column('instansi_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kanreg_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('with_errors', sa.Integer(), nullable=False),
    sa.Column('with_warnings', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('instansi_id')
    )


def downgrade():
    op.drop_table('data_quality_run')
    with op.batch_alter_table('data_quality_count', schema=None) as batch_op:
        batch_op.drop_index('ix_dq_count_kanreg')
        batch_op.drop_index('ix_dq_count_instansi_code')
    op.drop_table('data_quality_count')
    with op.batch_alter_table('data_quality_finding', schema=None) as batch_op:
        batch_op.drop_index('ix_dq_finding_pegawai')
        batch_op.drop_index('ix_dq_finding_instansi_code')
    op.drop_table('data_quality_finding')
