"""The Alembic migrations build exactly the schema the models declare, on an empty database."""

import logging
import logging.config
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
        assert {
            "ix_pegawai_instansi_status_nama",
            "ix_pegawai_unit_status_nama",
            "ix_pegawai_status",
            "ix_pegawai_nik",
        } <= indexes
        downgrade(revision="base")
        assert "pegawai" not in set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_upgrade_rebuilds_unit_paths_from_the_tree(empty_database):
    """Units the old Admin form left with "/" or with the path of their old place get the path
    of their parent chain (and so does the monitoring copy); a unit in a parent cycle gets
    "/", which services.scope refuses (no scope until an Admin gives it a parent)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="9b1f0c2d7e41")
        now = "2026-01-01 00:00:00"
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO kanreg (id, kode, nama) VALUES (1, 'I', 'Yogyakarta')"))
            conn.execute(
                text(
                    "INSERT INTO instansi (id, kode, nama, jenis, kanreg_id, created_at, updated_at) "
                    "VALUES (1, 'K1', 'Kota', 'daerah', 1, :t, :t)"
                ),
                {"t": now},
            )
            # 8 -> 9 -> 10 stored, then 10 moved under 11 (its path kept "/8/9/10/"), 12 added
            # under 10 with "/", 13 and 14 each other's parent.
            for unit_id, parent_id, path in (
                (8, None, "/8/"),
                (9, 8, "/8/9/"),
                (11, None, "/"),
                (10, 11, "/8/9/10/"),
                (12, 10, "/"),
                (13, None, "/13/"),
                (14, 13, "/13/14/"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO unit_kerja (id, kode, nama, instansi_id, parent_id, path, aktif, "
                        "created_at, updated_at) VALUES (:i, :k, 'Unit', 1, :p, :path, :a, :t, :t)"
                    ),
                    {"i": unit_id, "k": f"U{unit_id}", "p": parent_id, "path": path, "a": True, "t": now},
                )
            conn.execute(text("UPDATE unit_kerja SET parent_id = 14 WHERE id = 13"))
            conn.execute(
                text(
                    "INSERT INTO rekap_unit (kanreg_id, instansi_id, unit_kerja_id, unit_path, jumlah_pns, "
                    "terdaftar, disetujui, belum_daftar, menunggu, belum_kirim, dikembalikan, di_skpd, "
                    "di_instansi, di_bkn, selesai) VALUES (1, 1, 12, '/', 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0)"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            paths = dict(conn.execute(text("SELECT id, path FROM unit_kerja")).all())
            copy = conn.scalar(text("SELECT unit_path FROM rekap_unit WHERE unit_kerja_id = 12"))
        assert paths == {8: "/8/", 9: "/8/9/", 11: "/11/", 10: "/11/10/", 12: "/11/10/12/", 13: "/", 14: "/"}
        assert copy == "/11/10/12/"
        downgrade(revision="base")
        db.engine.dispose()


def test_upgrade_converts_typed_values_to_codes_and_reports_the_rest(empty_database, caplog, monkeypatch):
    """Values typed into the old free-text boxes become codes (any case, synonyms); a value
    that means no code stays as it was and is reported with its table, id and column."""
    # env.py's fileConfig would replace the root handler caplog listens with.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="c3a1d9e4b7f2")
        # PostgreSQL enforces the 1-character gender column; SQLite stored whole words in it.
        long_words = db.engine.dialect.name == "sqlite"
        male, female = ("Laki-laki", "Wanita") if long_words else ("m", "W")
        now = "2026-01-01 00:00:00"
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO kanreg (id, kode, nama) VALUES (1, 'I', 'Yogyakarta')"))
            conn.execute(
                text(
                    "INSERT INTO instansi (id, kode, nama, jenis, kanreg_id, created_at, updated_at) "
                    "VALUES (1, 'K1', 'Kota', 'daerah', 1, :t, :t)"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO pegawai (id, nip, nama, tanggal_lahir, jenis_kelamin, instansi_id, status, "
                    "tmt_cpns, record_version, created_at, updated_at) VALUES (1, '198001012005011001', "
                    "'BUDI', '1980-01-01', :g, 1, 'pns', '2005-01-01', 1, :t, :t)"
                ),
                {"g": "l", "t": now},
            )
            child = (
                "INSERT INTO anak (id, pegawai_id, nama, jenis_kelamin, status_anak, status_hidup, created_at, "
                "updated_at) VALUES (:i, 1, 'ANAK', :g, :s, :h, :t, :t)"
            )
            conn.execute(text(child), {"i": 1, "g": male, "s": "Kandung", "h": "Meninggal", "t": now})
            conn.execute(text(child), {"i": 2, "g": female, "s": "xyz", "h": " hidup ", "t": now})
            conn.execute(
                text(
                    "INSERT INTO orang_tua (id, pegawai_id, hubungan, nama, status_hidup, created_at, updated_at) "
                    "VALUES (1, 1, 'Bapak', 'AYAH', 'wafat', :t, :t)"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO kompetensi (id, pegawai_id, jenis, nama, created_at, updated_at) "
                    "VALUES (1, 1, 'Self Assessment', 'Kepemimpinan', :t, :t)"
                ),
                {"t": now},
            )
        caplog.set_level(logging.WARNING, logger="alembic")
        upgrade()
        with db.engine.connect() as conn:
            pegawai = conn.execute(text("SELECT jenis_kelamin, status FROM pegawai")).one()
            anak = conn.execute(text("SELECT id, jenis_kelamin, status_anak, status_hidup FROM anak ORDER BY id")).all()
            orang_tua = conn.execute(text("SELECT hubungan, status_hidup FROM orang_tua")).one()
            kompetensi = conn.scalar(text("SELECT jenis FROM kompetensi"))
        assert tuple(pegawai) == ("L", "PNS")
        assert [tuple(r) for r in anak] == [(1, "L", "kandung", "meninggal"), (2, "P", "xyz", "hidup")]
        assert tuple(orang_tua) == ("ayah", "meninggal")
        assert kompetensi == "self_assessment"
        reported = [r.getMessage() for r in caplog.records if "unmapped code" in r.getMessage()]
        assert reported == ["unmapped code: table=anak id=2 column=status_anak value='xyz'"]
        downgrade(revision="c3a1d9e4b7f2")
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT status_anak FROM anak WHERE id = 1")) == "kandung"
        downgrade(revision="base")
        db.engine.dispose()
