"""unit kerja paths rebuilt from the parent links (security issue 13: units added or moved in
the Admin screens kept "/" or their old path, i.e. a wrong Verifikator SKPD scope)

Revision ID: c7d2e5a1f9b3
Revises: 9b1f0c2d7e41
Create Date: 2026-12-04 19:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c7d2e5a1f9b3'
down_revision = '9b1f0c2d7e41'
branch_labels = None
depends_on = None


def upgrade():
    # Every unit reachable from a root gets the path of its parent chain. A unit whose chain
    # never reaches a root (a cycle the old forms allowed) gets "/": services.scope grants
    # nothing on it until an Admin gives it a proper parent (the form then derives its path).
    op.execute("""
        WITH RECURSIVE tree (id, path, depth) AS (
            SELECT id, '/' || CAST(id AS VARCHAR(20)) || '/', 1 FROM unit_kerja WHERE parent_id IS NULL
            UNION ALL
            SELECT u.id, t.path || CAST(u.id AS VARCHAR(20)) || '/', t.depth + 1
            FROM unit_kerja u JOIN tree t ON u.parent_id = t.id
            WHERE t.depth < 64
        )
        UPDATE unit_kerja SET path = COALESCE((SELECT tree.path FROM tree WHERE tree.id = unit_kerja.id), '/')
    """)
    # The monitoring figures keep a copy of each unit's path.
    for copy in ("rekap_unit", "rekap_antrian"):
        op.execute(f"""
            UPDATE {copy} SET unit_path = (SELECT path FROM unit_kerja WHERE unit_kerja.id = {copy}.unit_kerja_id)
            WHERE unit_kerja_id IS NOT NULL
        """)


def downgrade():
    pass  # the rebuilt paths are what the old code meant to store
