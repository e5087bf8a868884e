"""import_batch: the files imported on the "Impor Data" screen and their reports

Revision ID: d4b8e2f6a913
Revises: d4e8b2a6c1f0
Create Date: 2026-12-08 00:40:00.000000

One row per uploaded file: who, for which instansi, where the file is kept (a random name
under UPLOAD_DIR/imports), how far the background import got (for the progress bar and the
heartbeat that tells an interrupted import), its counts and its error report.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4b8e2f6a913'
down_revision = 'd4e8b2a6c1f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instansi_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('processed_rows', sa.Integer(), nullable=False),
        sa.Column('created_count', sa.Integer(), nullable=False),
        sa.Column('updated_count', sa.Integer(), nullable=False),
        sa.Column('unchanged_count', sa.Integer(), nullable=False),
        sa.Column('rejected_count', sa.Integer(), nullable=False),
        sa.Column('error_count', sa.Integer(), nullable=False),
        sa.Column('error_report', sa.Text(), nullable=True),
        sa.Column('failure', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['instansi_id'], ['instansi.id']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('stored_name'),
    )
    op.create_index('ix_import_batch_instansi_created', 'import_batch', ['instansi_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_import_batch_instansi_created', table_name='import_batch')
    op.drop_table('import_batch')
