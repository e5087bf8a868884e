"""record_change.source: where an official change came from (usulan, staff edit, import)

Revision ID: f43eaf7a60ce
Revises: 35c9325703f5
Create Date: 2026-11-26 07:38:04.833666

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f43eaf7a60ce'
down_revision = '35c9325703f5'
branch_labels = None
depends_on = None


def upgrade():
    # Every change recorded so far was written by applying a verified usulan.
    with op.batch_alter_table('record_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=10), server_default='usulan', nullable=False))


def downgrade():
    with op.batch_alter_table('record_change', schema=None) as batch_op:
        batch_op.drop_column('source')
