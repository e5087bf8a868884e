"""`flask --app run pupns seed-demo`: valid demo people, working demo accounts, safe re-runs."""

import collections
import secrets

import pytest
from flask_appbuilder import Model
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    Anak,
    Golongan,
    Instansi,
    Pasangan,
    Pegawai,
    RiwayatGolongan,
    RiwayatJabatan,
    RiwayatPendidikan,
    UnitKerja,
)
from app.models import User
from app.roles import ALL_ROLES, ROLE_PNS, ROLE_VERIFIKATOR_SKPD, role_permissions
from app.services import demo, rules

SMALL = 60
PEGAWAI_FIELDS = ("nip", "nip_lama", "nik", "nama", "tanggal_lahir", "jenis_kelamin", "tmt_cpns", "tmt_pns")


# The demo accounts (the seed also makes accounts for the demo registrations of other PNS).
_DEMO_ACCOUNT = User.email.endswith(f"@{demo.DEMO_EMAIL_DOMAIN}")


def _demo_users():
    return db.session.scalar(select(func.count(User.id)).where(_DEMO_ACCOUNT))


def _seed(runner, *args):
    result = runner.invoke(args=["pupns", "seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result


def _rule_errors(session):
    """Every rule violation in the seeded data, as readable strings (empty when all valid)."""
    tingkat = {g.id: (g.tingkat, g.kode) for g in session.scalars(select(Golongan))}
    golongan = collections.defaultdict(list)
    for row in session.scalars(select(RiwayatGolongan)):
        golongan[row.pegawai_id].append((tingkat[row.golongan_id][0], row.tmt_golongan, tingkat[row.golongan_id][1]))
    jabatan = collections.defaultdict(list)
    for row in session.scalars(select(RiwayatJabatan)):
        jabatan[row.pegawai_id].append((row.tmt_jabatan, row.tmt_selesai, row.nama_jabatan))
    errors = []
    for pegawai in session.scalars(select(Pegawai)):
        found = rules.check_pegawai({f: getattr(pegawai, f) for f in PEGAWAI_FIELDS})
        found += rules.check_golongan_history(golongan[pegawai.id])
        found += rules.check_jabatan_history(jabatan[pegawai.id])
        if not golongan[pegawai.id] or max(golongan[pegawai.id])[0] != tingkat[pegawai.golongan_id][0]:
            found.append("current golongan is not the last of the riwayat")
        errors += [f"{pegawai.nip}: {e}" for e in found]
    for spouse in session.scalars(select(Pasangan)):
        errors += [f"pasangan {spouse.nama}: {e}" for e in rules.check_nik(spouse.nik, spouse.tanggal_lahir)]
        if spouse.nip:
            errors += [f"pasangan {spouse.nama}: {e}" for e in rules.check_nip(spouse.nip, spouse.tanggal_lahir)]
    for child in session.scalars(select(Anak)):
        errors += [
            f"anak {child.nama}: {e}" for e in rules.check_nik(child.nik, child.tanggal_lahir, child.jenis_kelamin)
        ]
    return errors


def test_every_seeded_record_passes_the_domain_rules(app, runner):
    result = _seed(runner, "--pegawai", str(SMALL))

    pegawai = db.session.scalars(select(Pegawai)).all()
    assert len(pegawai) == SMALL
    assert _rule_errors(db.session) == []
    assert len({p.nip for p in pegawai}) == SMALL
    assert len({p.nik for p in pegawai}) == SMALL
    for p in pegawai:  # data utama filled like a BKN record
        assert p.nama == p.nama.upper()
        assert p.tempat_lahir and p.alamat and p.agama_id and p.golongan_id and p.jabatan
        assert p.pendidikan_terakhir_id and p.sk_cpns_nomor and p.unit_kerja.instansi_id == p.instansi_id
        assert (p.tmt_pns is None) == (p.status == Pegawai.STATUS_CPNS)
    assert db.session.scalar(select(func.count(RiwayatPendidikan.id))) >= SMALL
    # Several instansi in several Kanreg, each unit's path is its parent's plus its id.
    instansi = db.session.scalars(select(Instansi)).all()
    assert len(instansi) >= 6 and len({i.kanreg_id for i in instansi}) >= 4
    assert {i.jenis for i in instansi} == {Instansi.JENIS_PUSAT, Instansi.JENIS_DAERAH}
    for unit in db.session.scalars(select(UnitKerja)):
        assert unit.path == (unit.parent.path if unit.parent else "/") + f"{unit.id}/"
    assert max(u.path.count("/") - 1 for u in db.session.scalars(select(UnitKerja))) == 3
    assert demo.DEMO_URL in result.output


def test_seed_is_deterministic_and_valid_at_a_larger_size():
    """The same seed on an empty database gives the same people; a larger run stays valid."""
    import app.models  # noqa: F401 - tables on the metadata
    import app.security  # noqa: F401

    def people(count, seed_value):
        engine = create_engine("sqlite://")
        Model.metadata.create_all(engine)
        with Session(engine) as session:
            demo.seed_records(session, count, seed_value)
            rows = session.execute(select(Pegawai.nip, Pegawai.nama, Pegawai.nik).order_by(Pegawai.id)).all()
            errors = _rule_errors(session)
        engine.dispose()
        return rows, errors

    first, errors = people(400, 7)
    assert errors == []
    assert len({nip for nip, _n, _k in first}) == 400
    assert people(400, 7)[0] == first
    assert people(400, 8)[0] != first


def test_every_demo_account_can_sign_in(app, runner, client, auth):
    result = _seed(runner, "--pegawai", str(SMALL))
    accounts = demo.demo_accounts(db.session)
    assert sorted(a.role for a in accounts) == sorted(ALL_ROLES)
    listing_roles = {role for role, pairs in role_permissions().items() if ("can_list", "PegawaiView") in pairs} | {
        "Admin"
    }
    showcase = db.session.scalar(select(User).where(User.email == f"pns@{demo.DEMO_EMAIL_DOMAIN}")).pegawai
    for account in accounts:
        assert account.username in result.output and account.password in result.output
        response = auth.login(account.username, account.password)
        assert response.status_code == 302 and "/login" not in response.headers["Location"], account
        if account.role in listing_roles:
            assert client.get("/pegawaiview/list/").status_code == 200, account
            # every staff scope of the demo covers the showcase teacher of instansi 1
            page = client.get(f"/pegawaiview/list/?_flt_0_nip={showcase.nip}")
            assert page.status_code == 200 and showcase.nama in page.get_data(as_text=True), account
        else:
            assert client.get("/users/userinfo/").status_code == 200, account
        auth.logout()
    assert "/login/" in auth.login("admin", "wrong-password").headers["Location"]


def test_demo_scopes_and_pns_account_point_at_seeded_records(app, runner):
    _seed(runner, "--pegawai", str(SMALL))
    users = {u.roles[0].name: u for u in db.session.scalars(select(User).where(_DEMO_ACCOUNT))}
    first = db.session.scalar(select(Instansi).where(Instansi.kode == demo.INSTANSI[0].kode))

    pns = users[ROLE_PNS]
    assert pns.pegawai is not None and pns.username == pns.pegawai.nip
    assert pns.pegawai.instansi_id == first.id and pns.pegawai.status == Pegawai.STATUS_PNS
    skpd = users[ROLE_VERIFIKATOR_SKPD]
    assert skpd.instansi_id == first.id and skpd.unit_kerja.instansi_id == first.id
    assert pns.pegawai.unit_kerja.path.startswith(skpd.unit_kerja.path)  # his level-1 verifier
    assert users["Verifikator Instansi"].instansi_id == first.id
    assert users["Verifikator BKN"].kanreg_id == first.kanreg_id
    for national in ("Admin", "Helpdesk", "Monitor"):
        assert users[national].kanreg_id is None and users[national].instansi_id is None


def test_if_empty_seeds_once_then_only_prints_the_accounts(app, runner):
    first = _seed(runner, "--if-empty", "--pegawai", "30")
    counts = lambda: [db.session.scalar(select(func.count(m.id))) for m in (Pegawai, User, RiwayatGolongan)]  # noqa: E731
    before = counts()
    assert before[0] == 30 and _demo_users() == len(ALL_ROLES)

    second = _seed(runner, "--if-empty", "--pegawai", "30")
    assert counts() == before
    for account in demo.demo_accounts(db.session):
        assert account.username in second.output and account.password in second.output
    assert first.output != second.output


def test_if_empty_on_imported_data_leaves_it_alone(app, runner):
    from .factories import PegawaiFactory

    PegawaiFactory()
    db.session.commit()
    _seed(runner, "--if-empty")
    assert db.session.scalar(select(func.count(Pegawai.id))) == 1
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_twice_without_if_empty_adds_people_with_fresh_nips(app, runner):
    _seed(runner, "--pegawai", "20")
    _seed(runner, "--pegawai", "20")
    assert db.session.scalar(select(func.count(Pegawai.id))) == 40
    assert _demo_users() == len(ALL_ROLES)
    assert db.session.scalar(select(func.count(Instansi.id))) == len(demo.INSTANSI)
    assert _rule_errors(db.session) == []


@pytest.mark.parametrize("force", [False, True])
def test_production_config_is_refused_unless_forced(app_factory, force):
    production = app_factory(ENV_NAME="production", SECRET_KEY=secrets.token_urlsafe(48), TRUSTED_HOSTS=["localhost"])
    args = ["pupns", "seed-demo", "--pegawai", "5"] + (["--force"] if force else [])
    result = production.test_cli_runner().invoke(args=args)
    with production.app_context():
        count = db.session.scalar(select(func.count(Pegawai.id)))
    if force:
        assert result.exit_code == 0, result.output
        assert count == 5
    else:
        assert result.exit_code == 1 and "--force" in result.output
        assert count == 0


def test_seed_opens_the_filling_phase_today(app):
    import datetime as dt

    from app.extensions import db
    from app.services.schedule import current_phase
    from app.services.demo import seed_demo

    seed_demo(db.session, pegawai_count=5)
    phase = current_phase(db.session, today=dt.date.today())
    assert phase.fase == "pengisian" and phase.days_left > 0
    page = app.test_client().get("/").get_data(as_text=True)
    assert "pupns-phasebar" in page and str(phase.days_left) in page
