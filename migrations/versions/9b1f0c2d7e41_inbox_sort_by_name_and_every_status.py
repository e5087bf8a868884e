"""inboxes at national scale: Usulan.pegawai_nama copy and name indexes; registrasi in every status; unit subtree index

Revision ID: 9b1f0c2d7e41
Revises: 15a6d1f71cd0
Create Date: 2026-11-26 08:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b1f0c2d7e41'
down_revision = '15a6d1f71cd0'
branch_labels = None
depends_on = None


def upgrade():
    # The verification inbox sorts on a copy of the Pegawai's name (services.copies): add, fill, require.
    with op.batch_alter_table('usulan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pegawai_nama', sa.String(length=150), nullable=True))
    op.execute("UPDATE usulan SET pegawai_nama = (SELECT pegawai.nama FROM pegawai WHERE pegawai.id = usulan.pegawai_id)")
    with op.batch_alter_table('usulan', schema=None) as batch_op:
        batch_op.alter_column('pegawai_nama', existing_type=sa.String(length=150), nullable=False)
        batch_op.create_index('ix_usulan_status_nama_id', ['status', 'pegawai_nama', 'id'], unique=False)
        batch_op.create_index('ix_usulan_status_instansi_nama_id', ['status', 'instansi_id', 'pegawai_nama', 'id'],
                              unique=False)
        # pg_trgm exists since 35c9325703f5 (PostgreSQL); elsewhere a plain index of that name.
        batch_op.create_index('ix_usulan_nama_trgm', ['pegawai_nama'], unique=False, postgresql_using='gin',
                              postgresql_ops={'pegawai_nama': 'gin_trgm_ops'})

    # The approval inbox showing every status ("Semua"): of one instansi, and nationally.
    with op.batch_alter_table('registrasi', schema=None) as batch_op:
        batch_op.create_index('ix_registrasi_instansi_created', ['instansi_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_registrasi_created', ['created_at', 'id'], unique=False)


    # Unit subtrees are prefix LIKEs on path: PostgreSQL needs pattern ops for that under a
    # collation other than C (SQLite keeps its plain index).
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_unit_kerja_path', table_name='unit_kerja')
        op.create_index('ix_unit_kerja_path', 'unit_kerja', ['path'], unique=False,
                        postgresql_ops={'path': 'varchar_pattern_ops'})

    # SQLite: a batch migration of ab_user (15a6d1f71cd0) recreated the table without the
    # expression index of 35c9325703f5 (login by lower(username)); put it back.
    op.execute("CREATE INDEX IF NOT EXISTS ix_ab_user_username_lower ON ab_user (lower(username))")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_unit_kerja_path', table_name='unit_kerja')
        op.create_index('ix_unit_kerja_path', 'unit_kerja', ['path'], unique=False)

    with op.batch_alter_table('registrasi', schema=None) as batch_op:
        batch_op.drop_index('ix_registrasi_created')
        batch_op.drop_index('ix_registrasi_instansi_created')

    with op.batch_alter_table('usulan', schema=None) as batch_op:
        batch_op.drop_index('ix_usulan_nama_trgm', postgresql_using='gin',
                            postgresql_ops={'pegawai_nama': 'gin_trgm_ops'})
        batch_op.drop_index('ix_usulan_status_instansi_nama_id')
        batch_op.drop_index('ix_usulan_status_nama_id')
        batch_op.drop_column('pegawai_nama')
