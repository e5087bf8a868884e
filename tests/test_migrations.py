"""The Alembic migrations build exactly the schema the models declare, on an empty database."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL migration test runs in CI")
    name = f"pupns_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_on_empty_database_matches_models(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"pegawai", "ab_user", "riwayat_golongan", "unit_kerja", "dokumen"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Model.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("pegawai")}
        assert {"ix_pegawai_instansi_status_nama", "ix_pegawai_unit_status_nama",
                "ix_pegawai_status", "ix_pegawai_nik"} <= indexes
        downgrade(revision="base")
        assert "pegawai" not in set(inspect(db.engine).get_table_names())
        db.engine.dispose()
