"""The data-update workflow (DESIGN.md §3): the transition table, scope, Kirim checks, BKN
routing, apply to the official record, rollback, conflicts and concurrent verifiers."""

import datetime as dt
import importlib
import json
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    Anak,
    Dokumen,
    Golongan,
    Organisasi,
    Pegawai,
    RecordChange,
    RiwayatGolongan,
    RiwayatJabatan,
    TingkatPendidikan,
    Usulan,
    UsulanEvent,
    UsulanItem,
)
from app.roles import (
    ALL_ROLES,
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from app.models import User
from app.services import workflow
from app.services.workflow import (
    KEMBALIKAN,
    KIRIM,
    TURUN_STATUS,
    VERIFIKASI,
    AlreadyHandled,
    Conflict,
    DraftLocked,
    InvalidValue,
    KirimRefused,
    NotAllowed,
    ReasonRequired,
)

from .helpers import make_user
from .factories import (
    AnakFactory,
    OrganisasiFactory,
    PegawaiFactory,
    RiwayatGolonganFactory,
    RiwayatJabatanFactory,
)

# apply() reads apply_item from its own module; `workflow.apply` is the function, not the module.
apply_module = importlib.import_module("app.services.workflow.apply")

# The run is open today (Jadwal pengisian): the workflow refuses everything outside it.
pytestmark = pytest.mark.usefixtures("open_run")

REASON = "Berkas SK tidak terbaca"

# The workflow as DESIGN.md §3 specifies it, written out independently of the code:
# (from, action) -> (to, roles allowed). `di_instansi/verifikasi` goes to di_bkn here
# because the proposals below change BKN-level fields (routing has its own tests).
SPEC = {
    ("draft", "kirim"): ("di_skpd", {ROLE_PNS}),
    ("di_skpd", "verifikasi"): ("di_instansi", {ROLE_VERIFIKATOR_SKPD}),
    ("di_instansi", "verifikasi"): ("di_bkn", {ROLE_VERIFIKATOR_INSTANSI}),
    ("di_bkn", "verifikasi"): ("selesai", {ROLE_VERIFIKATOR_BKN}),
    ("di_skpd", "kembalikan"): ("draft", {ROLE_VERIFIKATOR_SKPD}),
    ("di_instansi", "kembalikan"): ("draft", {ROLE_VERIFIKATOR_INSTANSI}),
    ("di_bkn", "kembalikan"): ("draft", {ROLE_VERIFIKATOR_BKN}),
    ("di_skpd", "turun_status"): ("draft", {ROLE_HELPDESK, ROLE_ADMIN}),
    ("di_instansi", "turun_status"): ("draft", {ROLE_HELPDESK, ROLE_ADMIN}),
    ("di_bkn", "turun_status"): ("draft", {ROLE_HELPDESK, ROLE_ADMIN}),
}
# Who moves an Usulan forward at each status, for driving one to a given status.
FORWARD = {
    "draft": (KIRIM, ROLE_PNS),
    "di_skpd": (VERIFIKASI, ROLE_VERIFIKATOR_SKPD),
    "di_instansi": (VERIFIKASI, ROLE_VERIFIKATOR_INSTANSI),
    "di_bkn": (VERIFIKASI, ROLE_VERIFIKATOR_BKN),
}
ORDER = ("draft", "di_skpd", "di_instansi", "di_bkn", "selesai")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def fresh(model, pk):
    """Re-read a row from the database, not from the session's identity map."""
    db.session.expire_all()
    return db.session.get(model, pk)


def review_all(usulan):
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)


def draft_with(pegawai, changes=None):
    """An open draft of `pegawai` with `changes` [(section, operation, values, target_id)]
    proposed (default: a new nama, a BKN-level field) and every section reviewed."""
    usulan = workflow.open_draft(db.session, pegawai)
    if changes is None:
        changes = [("data_utama", "change", {"nama": pegawai.nama + " PUTRA"}, None)]
    for section, operation, values, target_id in changes:
        workflow.propose(db.session, usulan, section, operation, values, target_id)
    review_all(usulan)
    return usulan


def drive(world, usulan, status, users=None):
    """Move `usulan` forward from draft through legal transitions until it is at `status`."""
    users = users or world["users"]
    while usulan.status != status:
        action, role = FORWARD[usulan.status]
        workflow.transition(db.session, users[role], usulan.id, action)
        usulan = fresh(Usulan, usulan.id)
    return usulan


def events_of(usulan_id):
    db.session.expire_all()
    return db.session.scalars(
        select(UsulanEvent).where(UsulanEvent.usulan_id == usulan_id).order_by(UsulanEvent.id)
    ).all()


def changes_of(pegawai_id):
    db.session.expire_all()
    return db.session.scalars(
        select(RecordChange).where(RecordChange.pegawai_id == pegawai_id).order_by(RecordChange.id)
    ).all()


def golongan(kode):
    return db.session.scalars(select(Golongan).where(Golongan.kode == kode)).one()


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------
def test_transition_table_is_the_designed_one():
    implemented = {key: set(rule.roles) for key, rule in workflow.TRANSITIONS.items()}
    assert implemented == {key: roles for key, (_, roles) in SPEC.items()}
    # Returning and turning back always need a reason; going forward does not.
    for (status, action), rule in workflow.TRANSITIONS.items():
        assert rule.reason_required == (action in (KEMBALIKAN, TURUN_STATUS)), (status, action)


@pytest.mark.parametrize("status,action", [(s, a) for s in ORDER for a in workflow.ACTIONS], ids=lambda v: v)
def test_every_role_in_every_state_for_every_action(world, status, action):
    """Each role (all scoped so they can see the record) tries `action` on an Usulan at
    `status`: only the roles of the table succeed, reaching the table's status with one event;
    every other attempt is refused and changes nothing."""
    users = world["users"]
    expected_to, legal_roles = SPEC.get((status, action), (None, set()))
    usulan = drive(world, draft_with(world["peg_a"]), status)
    for role in ALL_ROLES:
        if role in legal_roles:
            continue
        before = len(events_of(usulan.id))
        with pytest.raises(NotAllowed):
            workflow.transition(db.session, users[role], usulan.id, action, reason=REASON)
        assert fresh(Usulan, usulan.id).status == status, role
        assert len(events_of(usulan.id)) == before, role
    for role in sorted(legal_roles):
        usulan = fresh(Usulan, usulan.id)
        if usulan.status != status:  # the previous legal role moved it: bring it back
            usulan = drive(world, usulan, status)
        version = usulan.version
        event = workflow.transition(db.session, users[role], usulan.id, action, reason=REASON, expected_version=version)
        after = fresh(Usulan, usulan.id)
        assert after.status == expected_to, role
        assert after.version > version
        last = events_of(usulan.id)[-1]
        assert last.id == event.id
        assert (last.from_status, last.to_status, last.action, last.actor_id) == (
            status,
            expected_to,
            action,
            users[role].id,
        )
        assert last.level == workflow.LEVELS[role] and last.reason == REASON


@pytest.mark.parametrize(
    "status,action,who",
    [
        ("draft", KIRIM, "pns_other"),  # another PNS's draft
        ("di_skpd", VERIFIKASI, "skpd_other"),  # SKPD of another unit of the same instansi
        ("di_skpd", KEMBALIKAN, "skpd_other"),
        ("di_skpd", VERIFIKASI, "skpd_child"),  # SKPD of a sub-unit cannot act on its parent unit
        ("di_instansi", VERIFIKASI, "vinstansi_b"),  # Verifikator Instansi of instansi B
        ("di_instansi", KEMBALIKAN, "vinstansi_b"),
        ("di_bkn", VERIFIKASI, "bkn_other"),  # BKN of another Kanreg
        ("di_bkn", KEMBALIKAN, "bkn_other"),
        ("di_skpd", TURUN_STATUS, "helpdesk_other"),  # Helpdesk of another Kanreg
        ("di_skpd", VERIFIKASI, "skpd_plus_monitor"),  # a national read scope does not widen it
    ],
)
def test_cross_scope_attempts_are_refused(app, world, status, action, who):
    outsiders = {
        "pns_other": lambda: make_user(app, "pns2", ROLE_PNS, pegawai=world["peg_other"]),
        "skpd_other": lambda: make_user(
            app, "vskpd2", ROLE_VERIFIKATOR_SKPD, instansi=world["inst_a"], unit_kerja=world["other_a"]
        ),
        "skpd_child": lambda: make_user(
            app, "vskpd3", ROLE_VERIFIKATOR_SKPD, instansi=world["inst_a"], unit_kerja=world["sub_a"]
        ),
        "vinstansi_b": lambda: world["users"]["vinstansi_b"],
        "bkn_other": lambda: make_user(app, "vbkn2", ROLE_VERIFIKATOR_BKN, kanreg=world["kanreg_b"]),
        "helpdesk_other": lambda: make_user(app, "helpdesk2", ROLE_HELPDESK, kanreg=world["kanreg_b"]),
        "skpd_plus_monitor": lambda: _with_role(
            make_user(app, "vskpd4", ROLE_VERIFIKATOR_SKPD, instansi=world["inst_a"], unit_kerja=world["other_a"]),
            ROLE_MONITOR,
        ),
    }
    actor = outsiders[who]()
    usulan = drive(world, draft_with(world["peg_a"]), status)
    with pytest.raises(NotAllowed):
        workflow.transition(db.session, actor, usulan.id, action, reason=REASON)
    assert fresh(Usulan, usulan.id).status == status
    assert workflow.allowed_actions(db.session, actor, fresh(Usulan, usulan.id)) == []


def _with_role(user, role_name):
    user.roles.append(db.session.scalars(select(User.roles.property.mapper.class_).filter_by(name=role_name)).one())
    db.session.commit()
    return user


def test_skpd_of_a_parent_unit_verifies_its_sub_units(app, world):
    pns_sub = make_user(app, "pns_sub", ROLE_PNS, pegawai=world["peg_sub"])
    users = dict(world["users"], **{ROLE_PNS: pns_sub})
    usulan = drive(world, draft_with(world["peg_sub"]), "di_skpd", users)
    workflow.transition(db.session, world["users"][ROLE_VERIFIKATOR_SKPD], usulan.id, VERIFIKASI)
    assert fresh(Usulan, usulan.id).status == "di_instansi"


def test_reason_is_mandatory_to_return_or_turn_back(world):
    users = world["users"]
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    for role, action in (
        (ROLE_VERIFIKATOR_SKPD, KEMBALIKAN),
        (ROLE_HELPDESK, TURUN_STATUS),
        (ROLE_ADMIN, TURUN_STATUS),
    ):
        with pytest.raises(ReasonRequired):
            workflow.transition(db.session, users[role], usulan.id, action, reason="   ")
    assert fresh(Usulan, usulan.id).status == "di_skpd"
    assert [e.action for e in events_of(usulan.id)] == [KIRIM]


def test_stale_page_gets_already_handled(world):
    users = world["users"]
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    seen = usulan.version
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_SKPD], usulan.id, VERIFIKASI, expected_version=seen)
    with pytest.raises(AlreadyHandled):
        workflow.transition(
            db.session, users[ROLE_VERIFIKATOR_SKPD], usulan.id, KEMBALIKAN, reason=REASON, expected_version=seen
        )
    assert fresh(Usulan, usulan.id).status == "di_instansi"
    assert [e.action for e in events_of(usulan.id)] == [KIRIM, VERIFIKASI]


# --------------------------------------------------------------------------------------------
# Kirim
# --------------------------------------------------------------------------------------------
def test_kirim_is_refused_until_every_section_is_reviewed(world):
    pns = world["users"][ROLE_PNS]
    usulan = workflow.open_draft(db.session, world["peg_a"])
    workflow.mark_reviewed(db.session, usulan, "data_utama")
    workflow.mark_reviewed(db.session, usulan, "anak")
    with pytest.raises(KirimRefused) as refused:
        workflow.transition(db.session, pns, usulan.id, KIRIM)
    missing = [p.section for p in refused.value.problems]
    assert missing == [s for s in workflow.SECTIONS if s not in ("data_utama", "anak")]
    assert {p.code for p in refused.value.problems} == {"not_reviewed"}
    # Each problem names its section, as the user knows it.
    assert str(workflow.SECTION_LABELS["riwayat_golongan"]) in str(refused.value.problems[0])
    assert fresh(Usulan, usulan.id).status == "draft" and events_of(usulan.id) == []
    for section in missing:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, pns, usulan.id, KIRIM)
    assert fresh(Usulan, usulan.id).status == "di_skpd"


def test_editing_a_section_takes_its_reviewed_mark_away(world):
    usulan = draft_with(world["peg_a"], [])
    assert workflow.reviewed_sections(db.session, usulan) == set(workflow.SECTIONS)
    workflow.propose(db.session, usulan, "anak", "add", {"nama": "RARA", "tanggal_lahir": dt.date(2010, 5, 1)})
    assert workflow.reviewed_sections(db.session, usulan) == set(workflow.SECTIONS) - {"anak"}
    with pytest.raises(KirimRefused) as refused:
        workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, KIRIM)
    assert [p.section for p in refused.value.problems] == ["anak"]


def test_kirim_is_refused_with_every_failed_rule(world):
    peg = world["peg_a"]
    first = RiwayatGolonganFactory(pegawai=peg, kode="III/a", tmt_golongan=peg.tmt_cpns)
    RiwayatJabatanFactory(
        pegawai=peg, nama_jabatan="Staf", tmt_jabatan=peg.tmt_cpns, tmt_selesai=peg.tmt_cpns + dt.timedelta(days=365)
    )
    db.session.commit()
    usulan = draft_with(
        peg,
        [
            # A later TMT with a lower golongan.
            (
                "riwayat_golongan",
                "add",
                {"golongan_id": golongan("II/d").id, "tmt_golongan": first.tmt_golongan + dt.timedelta(days=800)},
                None,
            ),
            # Overlapping jabatan: starts before the official one ends.
            (
                "riwayat_jabatan",
                "add",
                {
                    "nama_jabatan": "Kepala Seksi",
                    "tmt_jabatan": peg.tmt_cpns + dt.timedelta(days=10),
                    "tmt_selesai": peg.tmt_cpns + dt.timedelta(days=400),
                },
                None,
            ),
            # A new child without the required name.
            ("anak", "add", {"tanggal_lahir": dt.date(2011, 1, 1)}, None),
        ],
    )
    # A birth date that no longer agrees with digits 1-8 of the NIP is refused on save now
    # (rules.check_row); a draft saved before that check still carries one, and Kirim says so.
    born = peg.tanggal_lahir + dt.timedelta(days=1)
    with pytest.raises(workflow.RuleRefused):
        workflow.propose(db.session, usulan, "data_utama", "change", {"tanggal_lahir": born})
    usulan.items.append(
        UsulanItem(
            section="data_utama",
            operation="change",
            target_id=peg.id,
            values_json=json.dumps({"tanggal_lahir": born.isoformat()}),
            official_json=json.dumps({"tanggal_lahir": peg.tanggal_lahir.isoformat()}),
        )
    )
    db.session.commit()
    review_all(usulan)
    with pytest.raises(KirimRefused) as refused:
        workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, KIRIM)
    problems = {(p.section, p.field, p.code) for p in refused.value.problems}
    assert ("data_utama", "nip", "rule") in problems  # digits 1-8 do not match the date of birth
    assert ("riwayat_golongan", "golongan", "rule") in problems
    assert ("riwayat_jabatan", "tmt_jabatan", "rule") in problems
    assert ("anak", "nama", "required") in problems
    texts = " | ".join(str(p) for p in refused.value.problems)
    assert "II/d" in texts and "Kepala Seksi" in texts  # the rows at fault are named
    assert fresh(Usulan, usulan.id).status == "draft"


# --------------------------------------------------------------------------------------------
# BKN routing
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change,to_bkn",
    [
        (("data_utama", {"nama": "BUDI SANTOSO WIBOWO"}), True),
        (("data_utama", {"tmt_pns": None}), True),
        # The status is not the PNS's to propose any more (a Helpdesk ticket); TMT golongan is.
        (("data_utama", {"tmt_golongan": "1500 days after TMT CPNS"}), True),
        (("data_utama", {"golongan_id": "III/b"}), True),
        (("riwayat_golongan", {"golongan_id": "III/b", "tmt_golongan": dt.date(2030, 4, 1)}), True),
        (("data_utama", {"email": "budi.santoso@jogjakota.go.id", "no_hp": "081234567890"}), False),
        (("data_utama", {"alamat": "Jl. Malioboro 1, Yogyakarta"}), False),
        (("anak", {"nama": "RARA", "tanggal_lahir": dt.date(2010, 5, 1)}), False),
    ],
    ids=lambda v: str(v) if isinstance(v, bool) else f"{v[0]}-{'-'.join(v[1])}",
)
def test_bkn_sees_only_submissions_touching_bkn_level_fields(world, change, to_bkn):
    section, values = change
    values = {k: golongan(v).id if k == "golongan_id" else v for k, v in values.items()}
    if "tmt_golongan" in values:
        values["tmt_golongan"] = world["peg_a"].tmt_cpns + dt.timedelta(days=1500)
    operation = "change" if section == "data_utama" else "add"
    usulan = drive(world, draft_with(world["peg_a"], [(section, operation, values, None)]), "di_instansi")
    assert usulan.needs_bkn is to_bkn
    workflow.transition(db.session, world["users"][ROLE_VERIFIKATOR_INSTANSI], usulan.id, VERIFIKASI)
    after = fresh(Usulan, usulan.id)
    assert after.status == ("di_bkn" if to_bkn else "selesai")
    # The official record changes only at selesai.
    applied = changes_of(world["peg_a"].id)
    assert bool(applied) is (not to_bkn)


def test_record_without_unit_goes_straight_to_instansi(app, world):
    peg = PegawaiFactory(unit_kerja=None, instansi=world["inst_a"])
    db.session.commit()
    pns = make_user(app, "pns_nounit", ROLE_PNS, pegawai=peg)
    usulan = draft_with(peg, [("data_utama", "change", {"no_hp": "0811111111"}, None)])
    workflow.transition(db.session, pns, usulan.id, KIRIM)
    assert fresh(Usulan, usulan.id).status == "di_instansi"


# --------------------------------------------------------------------------------------------
# Apply
# --------------------------------------------------------------------------------------------
def _full_proposal(world):
    """peg_a proposes: a new nama and email, one more child, the school of his other child,
    a changed jabatan row and a removed organisation row."""
    peg = world["peg_a"]
    jabatan = RiwayatJabatanFactory(pegawai=peg, nama_jabatan="Staf Umum", tmt_jabatan=peg.tmt_cpns)
    organisasi = OrganisasiFactory(pegawai=peg, nama_organisasi="Pramuka")
    # Born when his father was 25 (a random date could make the father 7, which Kirim refuses).
    son = AnakFactory(
        pegawai=peg,
        nama="BAYU SANTOSO",
        jenis_kelamin="L",
        tanggal_lahir=peg.tanggal_lahir + dt.timedelta(days=25 * 366),
    )
    db.session.commit()
    smp = db.session.scalars(select(TingkatPendidikan).filter_by(nama="SLTP")).one()
    changes = [
        ("data_utama", "change", {"nama": "BUDI SANTOSO WIBOWO", "email": "budi@jogjakota.go.id"}, None),
        ("anak", "add", {"nama": "RARA SANTOSO", "tanggal_lahir": dt.date(2010, 5, 1), "jenis_kelamin": "P"}, None),
        ("anak", "change", {"tingkat_pendidikan_id": smp.id, "nama_sekolah": "SMP Negeri 5"}, son.id),
        ("riwayat_jabatan", "change", {"nama_jabatan": "Pengadministrasi Umum"}, jabatan.id),
        ("organisasi", "remove", None, organisasi.id),
    ]
    return draft_with(peg, changes), jabatan.id, organisasi.id, son.id


def test_final_verification_applies_everything_with_history_and_events(world):
    users = world["users"]
    peg_id = world["peg_a"].id
    old_nama, old_email = world["peg_a"].nama, world["peg_a"].email
    usulan, jabatan_id, organisasi_id, son_id = _full_proposal(world)
    version = fresh(Pegawai, peg_id).record_version
    usulan = drive(world, usulan, "di_bkn")
    assert fresh(Pegawai, peg_id).nama == old_nama  # nothing official before the end
    assert changes_of(peg_id) == []
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)

    peg = fresh(Pegawai, peg_id)
    assert (peg.nama, peg.email) == ("BUDI SANTOSO WIBOWO", "budi@jogjakota.go.id")
    assert peg.record_version == version + 1
    assert db.session.get(RiwayatJabatan, jabatan_id).nama_jabatan == "Pengadministrasi Umum"
    assert db.session.get(Organisasi, organisasi_id) is None
    child = db.session.scalars(select(Anak).where(Anak.pegawai_id == peg_id, Anak.id != son_id)).one()
    assert (child.nama, child.tanggal_lahir) == ("RARA SANTOSO", dt.date(2010, 5, 1))
    assert db.session.get(Anak, son_id).nama_sekolah == "SMP Negeri 5"

    done = fresh(Usulan, usulan.id)
    assert done.status == "selesai" and done.finished_at is not None
    history = {(c.section, c.row_id, c.field): (c.old_value, c.new_value) for c in changes_of(peg_id)}
    assert history[("data_utama", peg_id, "nama")] == (f'"{old_nama}"', '"BUDI SANTOSO WIBOWO"')
    assert history[("data_utama", peg_id, "email")] == (f'"{old_email}"', '"budi@jogjakota.go.id"')
    assert history[("riwayat_jabatan", jabatan_id, "nama_jabatan")] == ('"Staf Umum"', '"Pengadministrasi Umum"')
    assert history[("organisasi", organisasi_id, "nama_organisasi")] == ('"Pramuka"', None)
    assert history[("anak", child.id, "tanggal_lahir")] == (None, '"2010-05-01"')
    assert history[("anak", son_id, "nama_sekolah")] == (None, '"SMP Negeri 5"')
    assert all(c.usulan_id == usulan.id and c.actor_id == users[ROLE_VERIFIKATOR_BKN].id for c in changes_of(peg_id))

    events = events_of(usulan.id)
    assert [(e.level, e.from_status, e.to_status) for e in events] == [
        ("pns", "draft", "di_skpd"),
        ("skpd", "di_skpd", "di_instansi"),
        ("instansi", "di_instansi", "di_bkn"),
        ("bkn", "di_bkn", "selesai"),
    ]
    assert all(abs(e.created_at - dt.datetime.utcnow()) < dt.timedelta(minutes=5) for e in events)
    # A new draft can be opened once the previous one is done; it is based on the new record.
    nxt = workflow.open_draft(db.session, peg)
    assert nxt.id != usulan.id and nxt.base_record_version == version + 1


def test_an_error_while_applying_leaves_everything_as_it_was(world, monkeypatch):
    users = world["users"]
    peg_id = world["peg_a"].id
    old_nama = world["peg_a"].nama
    usulan, jabatan_id, organisasi_id, son_id = _full_proposal(world)
    usulan = drive(world, usulan, "di_bkn")
    version = fresh(Pegawai, peg_id).record_version
    real_apply_item, calls = workflow.apply_item, []

    def apply_then_fail(session, usulan, item, pegawai, actor):
        calls.append(item.section)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_apply_item(session, usulan, item, pegawai, actor)

    monkeypatch.setattr(apply_module, "apply_item", apply_then_fail)
    with pytest.raises(RuntimeError):
        workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)
    assert len(calls) == 3  # two items were applied before the failure...
    peg = fresh(Pegawai, peg_id)
    assert (peg.nama, peg.record_version) == (old_nama, version)  # ...and rolled back
    assert db.session.get(Organisasi, organisasi_id) is not None
    assert db.session.get(RiwayatJabatan, jabatan_id).nama_jabatan == "Staf Umum"
    assert db.session.scalars(select(Anak.id).where(Anak.pegawai_id == peg_id)).all() == [son_id]
    assert db.session.get(Anak, son_id).nama_sekolah is None
    assert changes_of(peg_id) == []
    assert fresh(Usulan, usulan.id).status == "di_bkn"
    assert len(events_of(usulan.id)) == 3

    monkeypatch.setattr(apply_module, "apply_item", real_apply_item)
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)
    assert fresh(Pegawai, peg_id).nama == "BUDI SANTOSO WIBOWO"


# --------------------------------------------------------------------------------------------
# Conflicts
# --------------------------------------------------------------------------------------------
def _official_edit(pegawai_id, **values):
    """What a master-data edit (PegawaiView, import) does to the official record."""
    peg = fresh(Pegawai, pegawai_id)
    for name, value in values.items():
        setattr(peg, name, value)
    peg.record_version += 1
    db.session.commit()


def test_official_change_after_kirim_is_a_conflict_not_an_overwrite(world):
    users = world["users"]
    peg_id = world["peg_a"].id
    old_nama = world["peg_a"].nama
    usulan = drive(world, draft_with(world["peg_a"]), "di_bkn")
    _official_edit(peg_id, nama="BUDY SANTOSA")

    with pytest.raises(Conflict) as conflict:
        workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)
    [entry] = conflict.value.conflicts
    assert (entry.section, entry.field, entry.snapshot, entry.official, entry.touched) == (
        "data_utama",
        "nama",
        old_nama,
        "BUDY SANTOSA",
        True,
    )
    assert fresh(Pegawai, peg_id).nama == "BUDY SANTOSA"
    assert fresh(Usulan, usulan.id).status == "di_bkn"
    # The verifier sees it on the page too, next to the field.
    [row] = workflow.diff(db.session, fresh(Usulan, usulan.id))
    assert row.fields[0].official == "BUDY SANTOSA" and row.fields[0].conflict

    # Having seen it, he may accept the proposal over the newer official value.
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI, accept_conflicts=True)
    assert fresh(Pegawai, peg_id).nama == old_nama + " PUTRA"
    [change] = [c for c in changes_of(peg_id) if c.field == "nama"]
    assert (change.old_value, change.new_value) == ('"BUDY SANTOSA"', f'"{old_nama} PUTRA"')


def test_unrelated_official_change_is_shown_and_kept(world):
    users = world["users"]
    peg_id = world["peg_a"].id
    usulan = drive(world, draft_with(world["peg_a"]), "di_bkn")
    _official_edit(peg_id, no_hp="08129999999")
    with pytest.raises(Conflict) as conflict:
        workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)
    [entry] = conflict.value.conflicts
    assert (entry.field, entry.official, entry.touched) == ("no_hp", "08129999999", False)
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI, accept_conflicts=True)
    peg = fresh(Pegawai, peg_id)
    assert peg.no_hp == "08129999999" and peg.nama.endswith(" PUTRA")


def test_a_changed_row_that_is_gone_cannot_be_applied(world):
    users = world["users"]
    peg = world["peg_a"]
    jabatan = RiwayatJabatanFactory(pegawai=peg, nama_jabatan="Staf", tmt_jabatan=peg.tmt_cpns)
    db.session.commit()
    usulan = drive(
        world,
        draft_with(
            peg,
            [
                ("data_utama", "change", {"nama": peg.nama + " PUTRA"}, None),
                ("riwayat_jabatan", "change", {"nama_jabatan": "Analis"}, jabatan.id),
            ],
        ),
        "di_bkn",
    )
    db.session.delete(fresh(RiwayatJabatan, jabatan.id))
    db.session.commit()
    for accept in (False, True):
        with pytest.raises(Conflict) as conflict:
            workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI, accept_conflicts=accept)
        assert any(c.blocking and c.target_id == jabatan.id for c in conflict.value.conflicts)
    assert fresh(Usulan, usulan.id).status == "di_bkn"
    # Returning it is the way out; the PNS withdraws the change and sends again.
    workflow.transition(db.session, users[ROLE_VERIFIKATOR_BKN], usulan.id, KEMBALIKAN, reason=REASON)
    usulan = fresh(Usulan, usulan.id)
    with pytest.raises(KirimRefused):
        workflow.transition(db.session, users[ROLE_PNS], usulan.id, KIRIM)
    gone = next(i for i in usulan.items if i.section == "riwayat_jabatan")
    workflow.withdraw(db.session, usulan, gone.id)
    workflow.mark_reviewed(db.session, usulan, "riwayat_jabatan")
    drive(world, fresh(Usulan, usulan.id), "selesai")


def test_official_change_before_kirim_makes_the_pns_review_again(world):
    peg_id = world["peg_a"].id
    usulan = draft_with(world["peg_a"])
    _official_edit(peg_id, nama="BUDY SANTOSA")
    with pytest.raises(KirimRefused) as refused:
        workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, KIRIM)
    assert [(p.section, p.code) for p in refused.value.problems] == [("data_utama", "stale")]
    workflow.mark_reviewed(db.session, usulan, "data_utama")  # he has seen the new value
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, KIRIM)
    usulan = fresh(Usulan, usulan.id)
    assert usulan.base_record_version == fresh(Pegawai, peg_id).record_version


# --------------------------------------------------------------------------------------------
# Return, verdicts, the draft side
# --------------------------------------------------------------------------------------------
def test_returned_submission_shows_the_pns_what_to_fix(world):
    users = world["users"]
    peg = world["peg_a"]
    usulan = drive(
        world,
        draft_with(
            peg,
            [
                ("data_utama", "change", {"nama": peg.nama + " PUTRA"}, None),
                ("anak", "add", {"nama": "RARA", "tanggal_lahir": dt.date(2010, 5, 1)}, None),
            ],
        ),
        "di_skpd",
    )
    child_item = next(i for i in usulan.items if i.section == "anak")
    skpd = users[ROLE_VERIFIKATOR_SKPD]
    with pytest.raises(ReasonRequired):
        workflow.set_verdict(db.session, skpd, usulan.id, child_item.id, UsulanItem.TIDAK_SESUAI)
    with pytest.raises(ReasonRequired):
        workflow.set_verdict(db.session, skpd, usulan.id, child_item.id, UsulanItem.TIDAK_SESUAI, "LAIN")
    with pytest.raises(NotAllowed):  # not the verifier of this level
        workflow.set_verdict(
            db.session, users[ROLE_VERIFIKATOR_INSTANSI], usulan.id, child_item.id, UsulanItem.TIDAK_SESUAI, "BTS"
        )
    workflow.set_verdict(
        db.session, skpd, usulan.id, child_item.id, UsulanItem.TIDAK_SESUAI, "BTS", "Akta kelahiran tidak dilampirkan"
    )
    with pytest.raises(NotAllowed):  # cannot verify what he found not matching
        workflow.transition(db.session, skpd, usulan.id, VERIFIKASI)
    workflow.transition(db.session, skpd, usulan.id, KEMBALIKAN, reason="Lengkapi berkas anak")

    usulan = fresh(Usulan, usulan.id)
    assert usulan.status == "draft"
    assert events_of(usulan.id)[-1].reason == "Lengkapi berkas anak"
    rows = {r.section: r for r in workflow.diff(db.session, usulan)}
    assert (rows["anak"].verdict, rows["anak"].verdict_reason, rows["anak"].verdict_level) == (
        "tidak_sesuai",
        "BTS",
        "skpd",
    )
    assert rows["data_utama"].verdict is None
    assert "anak" not in workflow.reviewed_sections(db.session, usulan)  # look at it again

    # The PNS attaches the birth certificate: the old verdict no longer applies.
    dokumen = Dokumen(
        pegawai_id=peg.id,
        stored_name="akta.pdf",
        original_name="akta.pdf",
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
    )
    db.session.add(dokumen)
    db.session.commit()
    workflow.propose(
        db.session,
        usulan,
        "anak",
        "add",
        {"nama": "RARA", "tanggal_lahir": dt.date(2010, 5, 1)},
        item_id=child_item.id,
        dokumen_id=dokumen.id,
    )
    workflow.mark_reviewed(db.session, usulan, "anak")
    usulan = drive(world, fresh(Usulan, usulan.id), "selesai")
    child = db.session.scalars(select(Anak).where(Anak.pegawai_id == peg.id)).one()
    assert child.dokumen_id == dokumen.id


def test_a_sent_draft_is_locked(world):
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    item = usulan.items[0]
    with pytest.raises(DraftLocked):
        workflow.propose(db.session, usulan, "data_utama", "change", {"nama": "X"})
    with pytest.raises(DraftLocked):
        workflow.mark_reviewed(db.session, usulan, "anak", reviewed=False)
    with pytest.raises(DraftLocked):
        workflow.withdraw(db.session, usulan, item.id)
    assert fresh(UsulanItem, item.id) is not None


def test_one_open_usulan_per_pegawai(world):
    peg = world["peg_a"]
    first = workflow.open_draft(db.session, peg)
    assert workflow.open_draft(db.session, peg).id == first.id
    db.session.add(Usulan(pegawai_id=peg.id, instansi_id=peg.instansi_id, base_record_version=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_diff_shows_official_and_proposed_values(world):
    peg = world["peg_a"]
    gol = RiwayatGolonganFactory(pegawai=peg, kode="III/a", tmt_golongan=peg.tmt_cpns)
    db.session.commit()
    usulan = workflow.open_draft(db.session, peg)
    workflow.propose(
        db.session, usulan, "data_utama", "change", {"nama": peg.nama, "no_hp": "0812 3456 789"}
    )  # nama unchanged: not a change
    workflow.propose(
        db.session,
        usulan,
        "riwayat_golongan",
        "add",
        {"golongan_id": golongan("III/b").id, "tmt_golongan": "2025-04-01"},
    )
    workflow.propose(db.session, usulan, "riwayat_golongan", "remove", None, gol.id)
    rows = workflow.diff(db.session, usulan)
    assert [(r.section, r.operation) for r in rows] == [
        ("data_utama", "change"),
        ("riwayat_golongan", "add"),
        ("riwayat_golongan", "remove"),
    ]
    assert [(f.field, f.official, f.proposed) for f in rows[0].fields] == [("no_hp", peg.no_hp, "0812 3456 789")]
    assert {(f.field, f.official, f.proposed) for f in rows[1].fields} == {
        ("golongan_id", None, golongan("III/b").id),
        ("tmt_golongan", None, dt.date(2025, 4, 1)),
    }
    assert ("golongan_id", golongan("III/a").id, None) in {(f.field, f.official, f.proposed) for f in rows[2].fields}
    state = workflow.proposed_state(db.session, usulan, "riwayat_golongan")
    assert [(r["id"], r["tmt_golongan"]) for r in state] == [(None, dt.date(2025, 4, 1))]
    # Proposing the official value back drops the change.
    assert workflow.propose(db.session, usulan, "data_utama", "change", {"no_hp": peg.no_hp}) is None
    assert [r.section for r in workflow.diff(db.session, usulan)] == ["riwayat_golongan"] * 2


def test_stored_text_is_compared_as_stored(world):
    """A snapshot of an official value with stray spaces is no conflict with itself."""
    peg = fresh(Pegawai, world["peg_a"].id)
    peg.alamat = "Jl. Kaliurang KM 5 "
    db.session.commit()
    usulan = draft_with(peg, [("data_utama", "change", {"alamat": " Jl. Kaliurang KM 6 "}, None)])
    assert workflow.conflicts(db.session, usulan) == []
    [row] = workflow.diff(db.session, usulan)
    assert [(f.official, f.proposed) for f in row.fields] == [("Jl. Kaliurang KM 5 ", "Jl. Kaliurang KM 6")]
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, KIRIM)


def test_proposals_are_checked(world):
    peg = world["peg_a"]
    usulan = workflow.open_draft(db.session, peg)
    other_row = RiwayatJabatanFactory(pegawai=world["peg_b"], nama_jabatan="Guru", tmt_jabatan=world["peg_b"].tmt_cpns)
    db.session.commit()
    bad = [
        ("data_utama", "change", {"instansi_id": world["inst_b"].id}, None),  # not the PNS's to change
        ("data_utama", "change", {"tanggal_lahir": "31-02-1980"}, None),
        ("data_utama", "change", {"status": "PRESIDEN"}, None),  # not his to propose (Helpdesk)
        ("data_utama", "change", {"golongan_id": 999999}, None),
        ("data_utama", "change", {"kode_pos": "123456"}, None),
        ("riwayat_jabatan", "change", {"nama_jabatan": "Kepala"}, other_row.id),  # another PNS's row
        ("riwayat_golongan", "add", {"angka_kredit": "banyak"}, None),
        ("unknown", "add", {}, None),
    ]
    for section, operation, values, target_id in bad:
        with pytest.raises((InvalidValue, workflow.NotFound)):
            workflow.propose(db.session, usulan, section, operation, values, target_id)
    assert fresh(Usulan, usulan.id).items == []


# --------------------------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------------------------
def test_two_verifiers_at_once_make_one_transition(app, world, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no row locks; two writers are serialised by the file lock instead")
    second = make_user(app, "vskpd_b", ROLE_VERIFIKATOR_SKPD, instansi=world["inst_a"], unit_kerja=world["unit_a"])
    usulan = drive(world, draft_with(world["peg_a"]), "di_skpd")
    usulan_id, seen = usulan.id, usulan.version
    actor_ids = [world["users"][ROLE_VERIFIKATOR_SKPD].id, second.id]
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes = []

    def verify(actor_id):
        with app.app_context(), Session(db.engine) as session:
            actor = session.get(User, actor_id)
            actor.roles, actor.unit_kerja  # noqa: B018 - load before the race
            barrier.wait()
            try:
                workflow.transition(session, actor, usulan_id, VERIFIKASI, expected_version=seen)
                outcomes.append("done")
            except AlreadyHandled:
                outcomes.append("already handled")

    threads = [threading.Thread(target=verify, args=(a,)) for a in actor_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["already handled", "done"]
    assert [e.action for e in events_of(usulan_id)] == [KIRIM, VERIFIKASI]
    assert fresh(Usulan, usulan_id).status == "di_instansi"


def test_new_golongan_row_becomes_the_current_golongan(world):
    """The data utama's golongan is the last one granted: applying a new golongan history row
    moves it, with its own history entries."""
    peg = world["peg_a"]
    rows = db.session.scalars(select(RiwayatGolongan).where(RiwayatGolongan.pegawai_id == peg.id)).all()
    tmt = max([r.tmt_golongan for r in rows] + [peg.tmt_cpns]) + dt.timedelta(days=1)
    target = golongan("IV/e")
    values = {"golongan_id": target.id, "tmt_golongan": tmt}
    drive(world, draft_with(peg, [("riwayat_golongan", "add", values, None)]), "selesai")
    after = fresh(Pegawai, peg.id)
    assert (after.golongan_id, after.tmt_golongan) == (target.id, tmt)
    fields = {(c.section, c.field) for c in changes_of(peg.id)}
    assert ("data_utama", "golongan_id") in fields and ("riwayat_golongan", "golongan_id") in fields


def test_a_finished_submission_has_no_conflicts_with_the_record_it_changed(world, client, auth):
    """Once applied, the official record holds the submission's own values: they are not
    "changed since the submission was made"."""
    usulan, *_ = _full_proposal(world)
    usulan = drive(world, usulan, "di_bkn")
    workflow.transition(db.session, world["users"][ROLE_VERIFIKATOR_BKN], usulan.id, VERIFIKASI)
    finished = fresh(Usulan, usulan.id)
    assert finished.status == Usulan.SELESAI
    assert workflow.conflicts(db.session, finished) == []
    auth.login("vbkn")
    page = client.get(f"/verifikasi/{usulan.id}").get_data(as_text=True)
    assert "BUDI SANTOSO WIBOWO" in page  # the finished submission is shown…
    assert "Data resmi telah berubah" not in page  # …without its own changes as conflicts
