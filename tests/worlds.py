"""The standard world most tests start from, as a plain function (the `world` fixture calls it).

Two instansi in two Kanreg, each with a unit tree and employees, and one user per role scoped
to instansi A (plus a second Verifikator Instansi for instansi B). Names are fixed because
tests search and assert on them."""

from sqlalchemy import select

from app.models import Kanreg
from app.roles import (
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)

from .factories import InstansiFactory, PegawaiFactory, UnitKerjaFactory
from .helpers import make_user


def build_world(session, app):
    """Create and commit the standard world on `session` (the app's db.session, which the
    factories write through) and return its parts by name: kanreg_a/b, inst_a/b, unit_a,
    sub_a (child of unit_a), other_a, unit_b, peg_a/sub/other/b, and `users` keyed by role
    name (plus "vinstansi_b"). Needs the reference data (at least two Kanreg) loaded."""
    kanreg_a, kanreg_b = session.scalars(select(Kanreg).order_by(Kanreg.id).limit(2)).all()
    inst_a = InstansiFactory(kanreg=kanreg_a, nama="Pemerintah Kota Yogyakarta")
    inst_b = InstansiFactory(kanreg=kanreg_b, nama="Pemerintah Kota Surabaya")
    unit_a = UnitKerjaFactory(instansi=inst_a, nama="Dinas Pendidikan")
    sub_a = UnitKerjaFactory(instansi=inst_a, parent=unit_a, nama="SD Negeri 1")
    other_a = UnitKerjaFactory(instansi=inst_a, nama="Dinas Kesehatan")
    unit_b = UnitKerjaFactory(instansi=inst_b, nama="Dinas Pendidikan Surabaya")
    peg_a = PegawaiFactory(unit_kerja=unit_a, nama="BUDI SANTOSO")
    peg_sub = PegawaiFactory(unit_kerja=sub_a, nama="SITI AMINAH")
    peg_other = PegawaiFactory(unit_kerja=other_a, nama="AGUS SALIM")
    peg_b = PegawaiFactory(unit_kerja=unit_b, nama="DEWI LESTARI")
    session.commit()
    users = {
        ROLE_ADMIN: make_user(app, "admin", ROLE_ADMIN),
        ROLE_VERIFIKATOR_INSTANSI: make_user(app, "vinstansi", ROLE_VERIFIKATOR_INSTANSI, instansi=inst_a),
        ROLE_VERIFIKATOR_SKPD: make_user(app, "vskpd", ROLE_VERIFIKATOR_SKPD, instansi=inst_a, unit_kerja=unit_a),
        ROLE_VERIFIKATOR_BKN: make_user(app, "vbkn", ROLE_VERIFIKATOR_BKN, kanreg=kanreg_a),
        ROLE_HELPDESK: make_user(app, "helpdesk", ROLE_HELPDESK),
        ROLE_MONITOR: make_user(app, "monitor", ROLE_MONITOR, kanreg=kanreg_a),
        ROLE_PNS: make_user(app, "pns", ROLE_PNS, pegawai=peg_a),
    }
    users["vinstansi_b"] = make_user(app, "vinstansi_b", ROLE_VERIFIKATOR_INSTANSI, instansi=inst_b)
    return {
        "kanreg_a": kanreg_a,
        "kanreg_b": kanreg_b,
        "inst_a": inst_a,
        "inst_b": inst_b,
        "unit_a": unit_a,
        "sub_a": sub_a,
        "other_a": other_a,
        "unit_b": unit_b,
        "peg_a": peg_a,
        "peg_sub": peg_sub,
        "peg_other": peg_other,
        "peg_b": peg_b,
        "users": users,
    }
