"""Lists at national scale (services.paging, services.copies, views.capped_interface): keyset
pages reach every row once in both directions, counts stop at a cap, the inboxes' copies of
Pegawai fields follow the Pegawai."""

import datetime as dt
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Pegawai
from app.models.registration import Registrasi
from app.models.submission import Usulan
from app.services import paging
from app.views import capped_interface

from .factories import InstansiFactory, PegawaiFactory, UnitKerjaFactory


def test_cursor_round_trip_and_bad_tokens_are_ignored():
    values = (dt.datetime(2015, 9, 3, 7, 1, 2, 345678), "SITI / AMINAH %_", 42)
    token = paging.encode_cursor(values)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert paging.decode_cursor(token, 3) == values
    for bad in (
        "",
        "not-a-cursor",
        token[:-4],
        token + "A" * 500,
        paging.encode_cursor((1, 2)),
        paging.encode_cursor(("x",)) + "==",
    ):
        assert paging.decode_cursor(bad, 3) is None


def _names(app, count):
    unit = UnitKerjaFactory()
    for i in range(count):
        # Duplicate names: the id breaks the tie, so no row is shown twice or skipped.
        PegawaiFactory(unit_kerja=unit, nama=f"NAMA {i % 4}")
    db.session.commit()
    return unit


def test_keyset_pages_walk_every_row_once_forwards_and_back(app):
    unit = _names(app, 11)
    stmt = select(Pegawai).where(Pegawai.unit_kerja_id == unit.id)
    keys = (Pegawai.nama, Pegawai.id)
    expected = [p.id for p in db.session.scalars(stmt.order_by(Pegawai.nama, Pegawai.id))]

    def page(**kw):
        return paging.paginate(
            db.session,
            stmt,
            keys=keys,
            descending=False,
            key_of=lambda r: (r.nama, r.id),
            size=3,
            execute=lambda s: db.session.scalars(s).all(),
            **kw,
        )

    pages, current = [], page()
    assert (current.total, current.capped, current.pages, current.prev_cursor) == (11, False, 4, None)
    while True:
        pages.append([p.id for p in current.rows])
        if current.next_cursor is None:
            break
        current = page(after=current.next_cursor, number=current.number + 1)
    assert [i for p in pages for i in p] == expected
    assert current.number == 4 and len(pages) == 4
    back = []
    while current.prev_cursor is not None:
        current = page(before=current.prev_cursor, number=current.number - 1)
        back.append([p.id for p in current.rows])
    assert back == pages[-2::-1]
    assert current.number == 1
    # A page number beyond the count shows the last page; a forged cursor the first.
    assert [p.id for p in page(number=99).rows] == pages[-1]
    assert [p.id for p in page(after="Zm9v").rows] == pages[0]


def test_counts_stop_at_the_cap(app):
    unit = _names(app, 7)
    stmt = select(Pegawai).where(Pegawai.unit_kerja_id == unit.id)
    assert paging.capped_count(db.session, stmt, cap=5) == (5, True)
    assert paging.capped_count(db.session, stmt, cap=7) == (7, False)


def test_a_list_that_fits_on_its_first_page_is_not_counted_again(app, monkeypatch):
    """A name search with 3 matches needs no second (trigram) scan to say "3": the first page
    is the count. A longer list is still counted, and a forged page number still clamps."""
    unit = _names(app, 5)
    stmt = select(Pegawai).where(Pegawai.unit_kerja_id == unit.id)
    counted = []
    real_count = paging.capped_count
    monkeypatch.setattr(paging, "capped_count", lambda *a, **kw: counted.append(1) or real_count(*a, **kw))

    def page(size, **kw):
        return paging.paginate(
            db.session,
            stmt,
            keys=(Pegawai.nama, Pegawai.id),
            descending=False,
            key_of=lambda r: (r.nama, r.id),
            size=size,
            execute=lambda s: db.session.scalars(s).all(),
            **kw,
        )

    whole = page(5)
    assert (whole.total, whole.capped, whole.pages, whole.next_cursor, len(whole.rows)) == (5, False, 1, None, 5)
    assert counted == []
    first = page(4)
    assert (first.total, len(first.rows), first.next_cursor is not None) == (5, 4, True)
    assert counted == [1]
    assert [p.id for p in page(4, number=9).rows] == [p.id for p in page(4, after=first.next_cursor).rows]


def test_fab_list_says_more_than_when_the_count_is_capped(app, client, auth, world, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    assert capped_interface.CappedCount(2, True).__html__() == "lebih dari 2"
    auth.login("admin")
    page = client.get("/pegawaiview/list/").get_data(as_text=True)
    assert "lebih dari 2" in page
    # Page numbers stop at the counted pages: page 50 shows the last of them.
    assert client.get("/pegawaiview/list/?page_PegawaiView=50").status_code == 200


def _usulan(pegawai, status, minutes):
    return Usulan(
        pegawai_id=pegawai.id,
        status=status,
        instansi_id=pegawai.instansi_id,
        unit_kerja_id=pegawai.unit_kerja_id,
        base_record_version=1,
        submitted_at=dt.datetime(2015, 10, 1, 8, 0) + dt.timedelta(minutes=minutes),
    )


def test_inbox_next_and_previous_links_continue_from_the_rows_shown(app, client, auth, world):
    people = [world["peg_a"], world["peg_sub"], world["peg_other"]]
    people += [PegawaiFactory(unit_kerja=world["unit_a"], nama=f"PEGAWAI {i}") for i in range(4)]
    db.session.add_all([_usulan(p, Usulan.DI_INSTANSI, i) for i, p in enumerate(people)])
    db.session.commit()
    auth.login("vinstansi")
    seen, url = [], "/verifikasi/?per_page=2"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'href="/verifikasi/(\d+)"', html)
        found = re.search(r'href="([^"]*after=[^"]*)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(people) == len(set(seen))
    prev = re.search(r'href="([^"]*before=[^"]*)" rel="prev"', html).group(1).replace("&amp;", "&")
    assert re.findall(r'href="/verifikasi/(\d+)"', client.get(prev).get_data(as_text=True)) == seen[-3:-1]
    by_name = client.get("/verifikasi/?sort=nama&per_page=10").get_data(as_text=True)
    names = [p.nama for p in sorted(people, key=lambda p: (p.nama, p.id))]
    assert [m for m in re.findall(r"<td>([A-Z][A-Z ]+[0-9]?)</td>", by_name) if m in names] == names


def test_copies_follow_the_pegawai(app, world):
    peg = world["peg_a"]
    other = InstansiFactory()
    other_unit = UnitKerjaFactory(instansi=other)
    db.session.add(_usulan(peg, Usulan.DI_SKPD, 0))
    db.session.add(
        Registrasi(
            nomor="BENCHCOPY001",
            pegawai=peg,
            user=world["users"]["Admin"],
            email="a@b.id",
            security_question_id=1,
            answer_hash="x",
            mother_name_hash="x",
        )
    )
    db.session.commit()
    usulan = db.session.scalar(select(Usulan).where(Usulan.pegawai_id == peg.id))
    registrasi = db.session.scalar(select(Registrasi).where(Registrasi.nomor == "BENCHCOPY001"))
    assert usulan.pegawai_nama == peg.nama and registrasi.instansi_id == peg.instansi_id

    # A master-data edit sets the relationships (as FAB's form does) and renames.
    peg.instansi, peg.unit_kerja, peg.nama = other, other_unit, "BUDI SANTOSO WIBOWO"
    db.session.commit()
    db.session.expire_all()
    usulan, registrasi = db.session.get(Usulan, usulan.id), db.session.get(Registrasi, registrasi.id)
    assert (usulan.instansi_id, usulan.unit_kerja_id, usulan.pegawai_nama) == (
        other.id,
        other_unit.id,
        "BUDI SANTOSO WIBOWO",
    )
    assert registrasi.instansi_id == other.id
