"""PNS accounts apart from staff accounts: is_pns_account, one PNS account per Pegawai

Revision ID: c3a1d9e4b7f2
Revises: c7d2e5a1f9b3
Create Date: 2026-12-04 18:50:00.000000

A staff account linked to a Pegawai could be taken over by registering that Pegawai's NIP
(registration reused any account with that pegawai_id). Now the PNS account is marked and is
the only one registration, approval, reset, recovery and login by NIP ever touch; the
unique constraint on pegawai_id becomes "unique among PNS accounts".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1d9e4b7f2'
down_revision = 'c7d2e5a1f9b3'
branch_labels = None
depends_on = None

# The unique constraint of the initial schema has no name of its own on SQLite.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique_name():
    return "ab_user_pegawai_id_key" if op.get_bind().dialect.name == "postgresql" else "uq_ab_user_pegawai_id"


def upgrade():
    with op.batch_alter_table('ab_user', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('is_pns_account', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.drop_constraint(_old_unique_name(), type_='unique')
        batch_op.create_index('ix_ab_user_pegawai_id', ['pegawai_id'], unique=False)
    # Existing PNS accounts: linked to a Pegawai and holding the PNS role and no other. A
    # staff account linked to a Pegawai (with or without the PNS role besides) stays staff.
    op.execute(
        "UPDATE ab_user SET is_pns_account = TRUE WHERE pegawai_id IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM ab_user_role ur JOIN ab_role r ON r.id = ur.role_id"
        "             WHERE ur.user_id = ab_user.id AND r.name = 'PNS')"
        " AND NOT EXISTS (SELECT 1 FROM ab_user_role ur JOIN ab_role r ON r.id = ur.role_id"
        "                 WHERE ur.user_id = ab_user.id AND r.name <> 'PNS')"
    )
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.create_index('uq_ab_user_pns_pegawai', ['pegawai_id'], unique=True,
                              postgresql_where=sa.text('is_pns_account'),
                              sqlite_where=sa.text('is_pns_account = 1'))
        batch_op.create_check_constraint('ck_ab_user_pns_account_has_pegawai',
                                         'NOT is_pns_account OR pegawai_id IS NOT NULL')
    # SQLite: the batch migration recreated ab_user without its expression index (login).
    op.execute("CREATE INDEX IF NOT EXISTS ix_ab_user_username_lower ON ab_user (lower(username))")


def downgrade():
    with op.batch_alter_table('ab_user', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint('ck_ab_user_pns_account_has_pegawai', type_='check')
        batch_op.drop_index('uq_ab_user_pns_pegawai',
                            postgresql_where=sa.text('is_pns_account'),
                            sqlite_where=sa.text('is_pns_account = 1'))
        batch_op.drop_index('ix_ab_user_pegawai_id')
        batch_op.drop_column('is_pns_account')
        batch_op.create_unique_constraint(_old_unique_name(), ['pegawai_id'])
    op.execute("CREATE INDEX IF NOT EXISTS ix_ab_user_username_lower ON ab_user (lower(username))")
