"""Coded fields are choices (issue 14): every form offers the Indonesian labels of models.codes,
stores the code, refuses anything else; lists, detail pages and the verifier's diff show the
label; to_code understands what people typed before."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, select

from app.extensions import db
from app.models import Anak, Model, OrangTua, Pegawai, codes
from app.models.submission import Usulan
from app.roles import ROLE_PNS
from app.services import workflow
from app.services.rules import CODE_UNKNOWN, check_codes
from app.views.employee import CHILD_VIEWS

from .helpers import csrf_token
from .factories import AnakFactory

pytestmark = pytest.mark.usefixtures("open_run")

REFUSED = "Pilih salah satu pilihan yang tersedia."
CODED_VIEWS = [
    v
    for v in CHILD_VIEWS
    if any(codes.enum_of(v.datamodel.obj.__tablename__, c) for c in v.datamodel.obj.__table__.columns.keys())
]


def _coded_columns(model):
    return [
        (c, codes.enum_of(model.__tablename__, c.key))
        for c in model.__table__.columns
        if codes.enum_of(model.__tablename__, c.key)
    ]


def _route(view):
    return "/" + view.__name__.lower()


def _indonesian(app, enum):
    """(code, Indonesian label) of every code of `enum`, as the id locale prints them."""
    with app.test_request_context():
        return [(code, str(label)) for code, label in codes.choices(enum)]


def _options(page, name):
    """(value, text) of the options of the select box `name` on the page."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select_html is not None, f"no <select name={name}>"
    return [
        (value, html.unescape(text).strip())
        for value, text in re.findall(r'<option[^>]*value="([^"]*)"[^>]*>(.*?)</option>', select_html.group(1), re.S)
    ]


# --------------------------------------------------------------------------------------------
# to_code and the label catalogue
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("enum", "typed", "code"),
    [
        (codes.JENIS_KELAMIN, "Laki-laki", "L"),
        (codes.JENIS_KELAMIN, " laki ", "L"),
        (codes.JENIS_KELAMIN, "Pria", "L"),
        (codes.JENIS_KELAMIN, "M", "L"),
        (codes.JENIS_KELAMIN, "l", "L"),
        (codes.JENIS_KELAMIN, "Perempuan", "P"),
        (codes.JENIS_KELAMIN, "WANITA", "P"),
        (codes.JENIS_KELAMIN, "F", "P"),
        (codes.STATUS_HIDUP, "Meninggal", codes.MENINGGAL),
        (codes.STATUS_HIDUP, "wafat", codes.MENINGGAL),
        (codes.STATUS_HIDUP, "Alm.", codes.MENINGGAL),
        (codes.STATUS_HIDUP, "Masih Hidup", codes.HIDUP),
        (codes.STATUS_ANAK, "Anak Angkat", codes.ANAK_ANGKAT),
        (codes.HUBUNGAN_ORANG_TUA, "Bapak", codes.AYAH),
        (codes.JENIS_KP, "Pilihan (Jabatan Struktural)", codes.KP_PILIHAN_STRUKTURAL),
        (codes.JENIS_KP, "Reguler", codes.KP_REGULER),
        (codes.JENIS_KOMPETENSI, "Self Assessment", codes.SELF_ASSESSMENT),
        (codes.ESELON, "IV/a", "IV.a"),
        (codes.ESELON, "iii.b", "III.b"),
        (codes.ESELON, "Non Eselon", "non_eselon"),
        (codes.STATUS_KEPEMILIKAN, "Kontrak", "sewa"),
        (codes.JENIS_HUKUMAN, "Teguran Lisan", "teguran_lisan"),
        (codes.JENIS_HUKUMAN, "PTDH", "pemberhentian_tidak_hormat"),
        (codes.STATUS_PEGAWAI, "pns", Pegawai.STATUS_PNS),
    ],
)
def test_to_code_understands_what_people_typed(enum, typed, code):
    assert codes.to_code(enum, typed) == code


@pytest.mark.parametrize("typed", ["xyz", "", "   ", None, "Laki-laki perempuan"])
def test_to_code_maps_nonsense_to_nothing(typed):
    assert codes.to_code(codes.JENIS_KELAMIN, typed) is None


def test_every_label_is_indonesian_and_maps_back_to_its_code(app):
    for enum in codes.ENUMS:
        for code, label in _indonesian(app, enum):
            assert codes.to_code(enum, label) == code, (enum, code, label)
            if enum != codes.ESELON or code == "non_eselon":  # "IV.a" is the same in every language
                assert label != codes._msgid(codes.ENUMS[enum][code]), f"{enum}.{code} is not translated"


def test_model_constants_are_the_codes():
    assert Pegawai.STATUSES == tuple(codes.ENUMS[codes.STATUS_PEGAWAI])
    assert (Pegawai.GENDER_MALE, Pegawai.GENDER_FEMALE) == ("L", "P")
    assert {Anak.STATUS_KANDUNG, Anak.STATUS_TIRI, Anak.STATUS_ANGKAT} == set(codes.ENUMS[codes.STATUS_ANAK])
    assert {OrangTua.HUBUNGAN_AYAH, OrangTua.HUBUNGAN_IBU} == set(codes.ENUMS[codes.HUBUNGAN_ORANG_TUA])
    # Every coded column can hold every one of its codes.
    for (table, name), enum in codes.CODED_COLUMNS.items():
        length = Model.metadata.tables[table].columns[name].type.length
        assert max(len(code) for code in codes.ENUMS[enum]) <= length, (table, name)


# --------------------------------------------------------------------------------------------
# check_codes (the catalogue rule)
# --------------------------------------------------------------------------------------------
def test_check_codes_reports_values_that_are_no_code():
    errors = check_codes("anak", {"nama": "RARA", "jenis_kelamin": "Laki-laki", "status_anak": "kandung"})
    assert [(e.field, e.code) for e in errors] == [("jenis_kelamin", CODE_UNKNOWN)]
    assert "Laki-laki" in str(errors[0].message)
    assert check_codes("data_utama", {"jenis_kelamin": "P", "status": "PNS", "nama": "free text"}) == []
    assert check_codes("riwayat_jabatan", {"eselon": None}) == []
    assert [e.field for e in check_codes("data_utama", Pegawai(jenis_kelamin="W", status="aktif"))] == [
        "jenis_kelamin",
        "status",
    ]


# --------------------------------------------------------------------------------------------
# Staff forms (FAB)
# --------------------------------------------------------------------------------------------
def _value_for(session, column, pegawai):
    """A valid value of a required column of a history/family row."""
    enum = codes.enum_of(column.table.name, column.key)
    if enum is not None:
        return codes.choices(enum)[0][0]
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column.table
        return session.execute(select(target.c.id).order_by(target.c.id)).scalars().first()
    kind = column.type
    if isinstance(kind, (Date, DateTime)):
        return pegawai.tmt_cpns
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Numeric):
        return Decimal("80")
    if isinstance(kind, Integer):
        return 2015
    return "CONTOH"


def _row(model, pegawai):
    """A row of `model` for `pegawai` with every required column set."""
    values = {}
    for column in model.__table__.columns:
        if column.key in ("id", "pegawai_id", "created_at", "updated_at") or column.nullable:
            continue
        values[column.key] = _value_for(db.session, column, pegawai)
    row = model(pegawai_id=pegawai.id, **values)
    db.session.add(row)
    db.session.commit()
    return row


def _form_fields(page):
    from .test_access import _FormParser

    parser = _FormParser()
    parser.feed(page)
    return parser.fields


@pytest.mark.parametrize("view", [*CODED_VIEWS, None], ids=lambda v: v.__name__ if v else "PegawaiView")
def test_staff_form_offers_the_indonesian_labels(app, world, login, view):
    model = view.datamodel.obj if view else Pegawai
    route = _route(view) if view else "/pegawaiview"
    page = login("admin").get(f"{route}/add").get_data(as_text=True)
    for column, enum in _coded_columns(model):
        options = _options(page, column.key)
        expected = _indonesian(app, enum)
        assert [o for o in options if o[0]] == expected, column.key
        assert ("" in dict(options)) == column.nullable, column.key


@pytest.mark.parametrize("view", CODED_VIEWS, ids=lambda v: v.__name__)
def test_staff_form_refuses_a_value_outside_the_enum(world, login, view):
    model = view.datamodel.obj
    row = _row(model, world["peg_a"])
    client = login("vinstansi")
    url = f"{_route(view)}/edit/{row.id}"
    for column, enum in _coded_columns(model):
        fields = _form_fields(client.get(url).get_data(as_text=True))
        stored = fields[column.key]
        assert stored == codes.choices(enum)[0][0] or (column.nullable and stored == "")
        response = client.post(url, data={**fields, column.key: "xyz"})
        assert response.status_code == 200, column.key  # the form again, with the message
        assert REFUSED in html.unescape(response.get_data(as_text=True)), column.key
        db.session.expire_all()
        assert getattr(db.session.get(model, row.id), column.key) != "xyz"
    # The same form with another code of each enum is stored as that code.
    fields = _form_fields(client.get(url).get_data(as_text=True))
    chosen = {column.key: codes.choices(enum)[-1][0] for column, enum in _coded_columns(model)}
    # FAB makes an unticked box of a NOT NULL boolean "required" (Pasangan.is_pns): ticked here.
    ticked = {c.key: "y" for c in model.__table__.columns if isinstance(c.type, Boolean) and not c.nullable}
    response = client.post(url, data={**fields, **ticked, **chosen})
    assert response.status_code == 302, re.findall(
        r"(?:help-block|alert)[^>]*>([^<]+)<", html.unescape(response.get_data(as_text=True))
    )
    db.session.expire_all()
    stored = db.session.get(model, row.id)
    assert {name: getattr(stored, name) for name in chosen} == chosen


def test_staff_pegawai_form_refuses_an_unknown_gender(world, login):
    client = login("vinstansi")
    peg = world["peg_a"]
    url = f"/pegawaiview/edit/{peg.id}"
    fields = _form_fields(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**fields, "jenis_kelamin": "Laki-laki"})
    assert response.status_code == 200
    assert REFUSED in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Pegawai, peg.id).jenis_kelamin == peg.jenis_kelamin


def test_list_and_show_pages_show_the_label(world, login):
    son = AnakFactory(pegawai=world["peg_a"], nama="BAYU", jenis_kelamin="L", status_anak=codes.ANAK_ANGKAT)
    db.session.commit()
    client = login("vinstansi")
    listing = html.unescape(client.get("/anakview/list/").get_data(as_text=True))
    assert "Laki-laki" in listing and ">L<" not in listing
    shown = html.unescape(client.get(f"/anakview/show/{son.id}").get_data(as_text=True))
    assert "Laki-laki" in shown and "Angkat" in shown and "Hidup" in shown
    record = html.unescape(client.get(f"/pegawaiview/show/{world['peg_a'].id}").get_data(as_text=True))
    gender = "Laki-laki" if world["peg_a"].jenis_kelamin == "L" else "Perempuan"
    assert gender in record and "PNS (pegawai negeri sipil)" in record


def test_a_legacy_value_is_shown_as_stored(app):
    with app.test_request_context():
        assert workflow.display_value("anak", "jenis_kelamin", "P") == "Perempuan"
        assert workflow.display_value("orang_tua", "status_hidup", codes.MENINGGAL) == "Meninggal"
        assert workflow.display_value("anak", "status_anak", "xyz") == "xyz"
        assert workflow.display_value("anak", "nama", "L") == "L"  # not a coded field


# --------------------------------------------------------------------------------------------
# The PNS's draft forms
# --------------------------------------------------------------------------------------------
DRAFT_SECTIONS = sorted({section for section, _name in workflow.FIELD_CHOICES})


@pytest.mark.parametrize("section", DRAFT_SECTIONS)
def test_draft_form_offers_the_indonesian_labels(app, world, login, section):
    page = login("pns").get(f"/data-saya/{section}").get_data(as_text=True)
    for (choice_section, name), _labels in workflow.FIELD_CHOICES.items():
        if choice_section != section:
            continue
        options = _options(page, name)
        assert options[0] == ("", "–")
        assert options[1:] == _indonesian(app, workflow.section_enum(section, name)), name


def _usul(client, section, data):
    data = {**data, "csrf_token": csrf_token(client, f"/data-saya/{section}")}
    return client.post(f"/data-saya/{section}/usul", data=data)


def _draft_items(pegawai_id):
    db.session.expire_all()
    usulan = db.session.scalar(select(Usulan).where(Usulan.pegawai_id == pegawai_id))
    return [] if usulan is None else list(usulan.items)


@pytest.mark.parametrize(
    ("section", "data"),
    [
        ("anak", {"nama": "RARA", "tanggal_lahir": "2015-03-02", "jenis_kelamin": "Perempuan"}),
        ("orang_tua", {"nama": "SUPARMAN", "hubungan": "bapak", "status_hidup": "hidup"}),
        ("data_utama", {"jenis_kelamin": "W"}),
    ],
)
def test_draft_form_refuses_a_value_outside_the_enum(world, login, section, data):
    client = login("pns")
    response = _usul(client, section, data)
    assert response.status_code == 400
    assert REFUSED in html.unescape(response.get_data(as_text=True))
    assert _draft_items(world["peg_a"].id) == []


def test_the_service_refuses_a_value_outside_the_enum_too(world):
    usulan = workflow.open_draft(db.session, world["peg_a"])
    with pytest.raises(workflow.InvalidValue):
        workflow.propose(db.session, usulan, "anak", "add", {"nama": "RARA", "jenis_kelamin": "Laki-laki"})
    db.session.rollback()
    assert _draft_items(world["peg_a"].id) == []


def test_verifier_diff_shows_the_labels(world, login):
    peg = world["peg_a"]
    pns = login("pns")
    response = _usul(
        pns,
        "anak",
        {
            "nama": "RARA SANTOSO",
            "tanggal_lahir": dt.date(2015, 3, 2).isoformat(),
            "jenis_kelamin": "P",
            "status_anak": codes.ANAK_ANGKAT,
            "status_hidup": codes.HIDUP,
        },
    )
    assert response.status_code == 302
    usulan = workflow.open_draft(db.session, db.session.get(Pegawai, peg.id))
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    page = html.unescape(login("vskpd").get(f"/verifikasi/{usulan.id}").get_data(as_text=True))
    assert "RARA SANTOSO" in page
    assert "Perempuan" in page and "Angkat" in page
    assert not re.search(r">\s*angkat\s*<", page)


def test_summary_pdf_rows_show_the_labels(app, world):
    """The summary PDF prints summary_rows: the proposed codes appear as their labels."""
    from app.services import summary

    peg = world["peg_a"]
    usulan = workflow.open_draft(db.session, peg)
    workflow.propose(
        db.session,
        usulan,
        "orang_tua",
        "add",
        {"nama": "SUPARMAN", "hubungan": codes.AYAH, "status_hidup": "meninggal"},
    )
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    with app.test_request_context():
        rows = summary.summary_rows(db.session, db.session.get(Usulan, usulan.id))
        proposed = {name: new for row in rows if row.section == "orang_tua" for name, _old, new in row.fields}
    assert proposed["hubungan"] == "Ayah" and proposed["status_hidup"] == "Meninggal"


def test_draft_section_page_shows_current_rows_by_label(world, login):
    AnakFactory(pegawai=world["peg_a"], nama="BAYU", jenis_kelamin="L", status_anak=codes.ANAK_TIRI)
    db.session.commit()
    page = html.unescape(login("pns").get("/data-saya/anak").get_data(as_text=True))
    assert "BAYU" in page and "Tiri" in page


def _legacy_child(world):
    """An Anak whose status_anak was typed before it was a choice ("xyz": no code)."""
    child = AnakFactory(pegawai=world["peg_a"], nama="LAMA", jenis_kelamin="P")
    db.session.flush()
    db.session.execute(Anak.__table__.update().where(Anak.id == child.id).values(status_anak="xyz"))
    db.session.commit()
    return child.id


def test_staff_edit_form_shows_a_legacy_value_and_does_not_save_it_unseen(world, login):
    child_id = _legacy_child(world)
    client = login("vinstansi")
    url = f"/anakview/edit/{child_id}"
    page = client.get(url).get_data(as_text=True)
    options = _options(page, "status_anak")
    assert options[0] == ("xyz", "xyz (bukan pilihan yang sah: pilih yang lain)")
    assert re.search(r'<option[^>]*selected[^>]*value="xyz"|<option[^>]*value="xyz"[^>]*selected', page)
    # Saving another field with the legacy value left as it is: refused, nothing changed.
    response = client.post(url, data={**_form_fields(page), "nama": "LAMA BARU"})
    assert response.status_code == 200 and REFUSED in html.unescape(response.get_data(as_text=True))
    db.session.expire_all()
    assert (db.session.get(Anak, child_id).nama, db.session.get(Anak, child_id).status_anak) == ("LAMA", "xyz")


def test_the_demo_world_writes_codes_only(app, runner):
    result = runner.invoke(args=["pupns", "seed-demo", "--pegawai", "30"])
    assert result.exit_code == 0, result.output
    found = []
    for model in (Pegawai, *workflow.CHILD_MODELS.values()):
        section = workflow.DATA_UTAMA if model is Pegawai else model.__tablename__
        for row in db.session.scalars(select(model)):
            found += [(section, row.id, e.field, str(e.message)) for e in check_codes(section, row)]
    assert found == []
    kinds = set(db.session.scalars(select(workflow.CHILD_MODELS["riwayat_golongan"].jenis_kp)))
    assert kinds and kinds <= set(codes.ENUMS[codes.JENIS_KP])


def test_kirim_is_refused_while_the_record_holds_a_value_that_is_no_code(world):
    """The data-quality finding becomes the PNS's task: Kirim names the field until he
    proposes a code for it; then it goes."""
    child_id = _legacy_child(world)
    peg = db.session.get(Pegawai, world["peg_a"].id)
    usulan = workflow.open_draft(db.session, peg)
    for section in workflow.SECTIONS:
        workflow.mark_reviewed(db.session, usulan, section)
    with pytest.raises(workflow.KirimRefused) as refused:
        workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    assert [(p.section, p.field) for p in refused.value.problems] == [("anak", "status_anak")]
    assert "xyz" in str(refused.value.problems[0].message)
    db.session.rollback()
    usulan = workflow.open_draft(db.session, db.session.get(Pegawai, peg.id))
    workflow.propose(db.session, usulan, "anak", "change", {"status_anak": codes.ANAK_ANGKAT}, target_id=child_id)
    workflow.mark_reviewed(db.session, usulan, "anak")
    workflow.transition(db.session, world["users"][ROLE_PNS], usulan.id, workflow.KIRIM)
    assert db.session.get(Usulan, usulan.id).status == Usulan.DI_SKPD
