"""Property-based test of the REST API against its own OpenAPI spec (schemathesis, over WSGI).

Every operation of /api/v1/_openapi gets generated requests — valid and invalid `q`
arguments, ids — with a valid API key of a national client: no response may be a server
error, and every response must match the spec. Examples are few and derandomized so the run
is short and the same on every CI run.
"""

from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Agama,
    JenisJabatan,
    Pasangan,
    RiwayatPendidikan,
    StatusPerkawinan,
    TingkatPendidikan,
)
from app.roles import ROLE_INTEGRASI
from app.services import apikeys

from .helpers import make_user
from .factories import AnakFactory, RiwayatGolonganFactory, RiwayatJabatanFactory

EXAMPLES_PER_OPERATION = 20


@pytest.fixture
def api_key(app, world):
    """A national client's key, and some history and family rows to read."""
    first = {
        model: db.session.scalars(select(model)).first()
        for model in (Agama, StatusPerkawinan, JenisJabatan, TingkatPendidikan)
    }
    peg_a = world["peg_a"]
    peg_a.agama, peg_a.status_perkawinan = first[Agama], first[StatusPerkawinan]
    peg_a.jenis_jabatan, peg_a.pendidikan_terakhir = first[JenisJabatan], first[TingkatPendidikan]
    for who in ("peg_a", "peg_b"):
        RiwayatGolonganFactory(pegawai=world[who], angka_kredit=Decimal("12.500"))
        RiwayatJabatanFactory(pegawai=world[who], jenis_jabatan=first[JenisJabatan])
        AnakFactory(pegawai=world[who], nik="3273015008100001", tingkat_pendidikan=first[TingkatPendidikan])
        db.session.add(Pasangan(pegawai=world[who], nama="RINA", nik="3273014101850001"))
        db.session.add(
            RiwayatPendidikan(
                pegawai=world[who], nama_sekolah="SMA Negeri 1", tingkat_pendidikan=first[TingkatPendidikan]
            )
        )
    db.session.commit()
    return apikeys.create(db.session, make_user(app, "api_bpjs", ROLE_INTEGRASI), "BPJS")[1]


# schemathesis' pytest integration (`from_fixture(...).parametrize()`) does not run on pytest 9
# (it renames nodes through a private attribute); its Hypothesis strategies are used directly.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_api_conforms_to_its_spec(app, api_key, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18  # list, item and _info of six resources

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            case.call_and_validate(
                headers={"X-API-Key": api_key}, checks=[not_a_server_error, response_schema_conformance]
            )

        conforms()
