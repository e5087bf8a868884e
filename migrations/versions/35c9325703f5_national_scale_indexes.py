"""national scale: trigram name search, keyset indexes, registrasi instansi copy, login by lower(username)

Revision ID: 35c9325703f5
Revises: e95ef1bfdbff
Create Date: 2026-11-26 07:36:45.558025

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '35c9325703f5'
down_revision = 'e95ef1bfdbff'
branch_labels = None
depends_on = None


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        # Trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table('pegawai', schema=None) as batch_op:
        batch_op.create_index('ix_pegawai_nama_id', ['nama', 'id'], unique=False)
        # GIN trigram index on PostgreSQL; a plain index of the same name elsewhere.
        batch_op.create_index('ix_pegawai_nama_trgm', ['nama'], unique=False, postgresql_using='gin',
                              postgresql_ops={'nama': 'gin_trgm_ops'})

    # The approval inbox filters on a copy of the Pegawai's instansi: add, fill, require.
    with op.batch_alter_table('registrasi', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instansi_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE registrasi SET instansi_id = "
        "(SELECT pegawai.instansi_id FROM pegawai WHERE pegawai.id = registrasi.pegawai_id)"
    )
    with op.batch_alter_table('registrasi', schema=None) as batch_op:
        batch_op.alter_column('instansi_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_registrasi_status_instansi_created',
                              ['status', 'instansi_id', 'created_at', 'id'], unique=False)
        batch_op.create_foreign_key('registrasi_instansi_id_fkey', 'instansi', ['instansi_id'], ['id'])

    with op.batch_alter_table('usulan', schema=None) as batch_op:
        batch_op.create_index('ix_usulan_status_submitted_id', ['status', 'submitted_at', 'id'],
                              unique=False)

    op.create_index('ix_ab_user_username_lower', 'ab_user', [sa.text('lower(username)')], unique=False)


def downgrade():
    # IF EXISTS: on SQLite a later batch migration of ab_user recreates the table without it.
    op.execute("DROP INDEX IF EXISTS ix_ab_user_username_lower")

    with op.batch_alter_table('usulan', schema=None) as batch_op:
        batch_op.drop_index('ix_usulan_status_submitted_id')

    with op.batch_alter_table('registrasi', schema=None) as batch_op:
        batch_op.drop_constraint('registrasi_instansi_id_fkey', type_='foreignkey')
        batch_op.drop_index('ix_registrasi_status_instansi_created')
        batch_op.drop_column('instansi_id')

    with op.batch_alter_table('pegawai', schema=None) as batch_op:
        batch_op.drop_index('ix_pegawai_nama_trgm', postgresql_using='gin',
                            postgresql_ops={'nama': 'gin_trgm_ops'})
        batch_op.drop_index('ix_pegawai_nama_id')
    # pg_trgm stays: other objects of the database may use it.
