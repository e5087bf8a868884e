"""The benchmark in miniature (benchmarks/README.md): the builder at 2,000 PNS into a database
of its own, then every benchmark scenario requested once through the app. No timing is
asserted; what is checked is that the data is valid and every scenario answers as the
benchmark expects, and that list pages issue the same number of queries whatever their size
(no N+1). PostgreSQL only (COPY), skipped without TEST_DATABASE_URL."""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import event, text

from app.extensions import db
from benchmarks.probe import client_login

pytestmark = pytest.mark.postgres_only

SMOKE_PEGAWAI = 2000


@pytest.fixture(scope="module")
def bench_app():
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set: the benchmark builder needs PostgreSQL")
    from benchmarks.build_db import build, drop_database
    from benchmarks.wsgi import make_app

    name = f"bench_smoke_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    manifest = build(url, SMOKE_PEGAWAI, workers=2)
    app = make_app(url)
    yield app, manifest
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(url)


def _open(client, request):
    headers = {"Cookie": request.cookie} if request.cookie else {}
    return client.open(
        request.path,
        method=request.method,
        headers=headers,
        data=request.body,
        content_type="application/x-www-form-urlencoded" if request.body else None,
    )


def test_builder_makes_valid_data_in_every_state(bench_app):
    app, manifest = bench_app
    counts = manifest["counts"]
    assert counts["pegawai"] == SMOKE_PEGAWAI
    assert set(counts["registrasi.status"]) == {"menunggu", "disetujui", "ditolak", "direset"}
    assert set(counts["usulan.status"]) == {"draft", "di_skpd", "di_instansi", "di_bkn", "selesai"}
    assert counts["riwayat_golongan"] >= SMOKE_PEGAWAI
    from app.models import Golongan, Pegawai, RiwayatGolongan
    from app.services import rules
    from sqlalchemy import select

    with app.app_context():
        # Every foreign key was validated when the builder re-created it; check the domain rules.
        for pegawai in db.session.scalars(select(Pegawai).where(Pegawai.id % 50 == 0)):
            record = {
                f: getattr(pegawai, f)
                for f in ("nip", "nip_lama", "nik", "nama", "tanggal_lahir", "jenis_kelamin", "tmt_cpns", "tmt_pns")
            }
            assert rules.check_pegawai(record) == [], pegawai.nip
            history = db.session.execute(
                select(Golongan.tingkat, RiwayatGolongan.tmt_golongan, Golongan.kode)
                .join(Golongan, RiwayatGolongan.golongan_id == Golongan.id)
                .where(RiwayatGolongan.pegawai_id == pegawai.id)
            ).all()
            assert rules.check_golongan_history(history) == []
            assert max(h[1] for h in history) == pegawai.tmt_golongan
        assert db.session.scalar(text("SELECT count(DISTINCT nip) FROM pegawai")) == SMOKE_PEGAWAI
        assert db.session.scalar(text("SELECT count(DISTINCT nik) FROM pegawai")) == SMOKE_PEGAWAI


def test_every_scenario_answers_as_the_benchmark_expects(bench_app):
    from benchmarks.scenarios import Plan

    app, _ = bench_app
    scenarios = Plan(app, client_login(app), requests_per_list=3, registrations=3).scenarios()
    names = {s.name for s in scenarios}
    assert {
        "nip_lookup",
        "registration",
        "login",
        "pns_home",
        "proof_pdf",
        "verification_page",
        "dashboard",
        "inbox_bkn_deep",
        "fab_inbox_bkn_deep",
        "approval_admin_deep",
    } <= names
    # The requests carry their own Cookie header, as wrk sends them.
    client = app.test_client(use_cookies=False)
    for scenario in scenarios:
        response = _open(client, scenario.requests[0])
        assert response.status_code in scenario.expect, (scenario.name, response.status_code)
        if scenario.name == "registration":
            assert response.headers["Location"].endswith("/registrasi/selesai")
        if scenario.name == "proof_pdf":
            assert response.data.startswith(b"%PDF")
        if "after=" in scenario.requests[0].path:
            # A keyset page: the rows after the cursor, with a link back.
            page = response.get_data(as_text=True)
            assert "<tbody>" in page and 'rel="prev"' in page, scenario.name


@pytest.mark.parametrize(
    "path,user",
    [
        ("/verifikasi/?per_page={n}", "bench_bkn"),
        ("/verifikasi/?per_page={n}&sort=nama", "bench_instansi"),
        ("/persetujuan/?per_page={n}&status=all", "bench_admin"),
        ("/pegawaiview/list/?psize_PegawaiView={n}", "bench_admin"),
    ],
)
def test_list_pages_query_count_does_not_grow_with_rows(bench_app, path, user):
    from benchmarks.build_db import STAFF_PASSWORD

    app, _ = bench_app
    cookie = client_login(app)(user, STAFF_PASSWORD)
    client = app.test_client(use_cookies=False)
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    counts = {}
    for n in (5, 25):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(path.format(n=n), headers={"Cookie": cookie})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        counts[n] = len(statements)
    # 25 rows may fit a list on its first page, which then needs no count: one statement fewer.
    assert counts[25] <= counts[5], counts
