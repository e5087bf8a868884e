"""Draws demo Pegawai from one seed: identity (NIP and NIK agreeing with birth date, gender
and TMT CPNS), contact data, and the record with its history rows (careers.py, family.py)."""

import datetime as dt
import itertools
import random
import re

from faker import Faker
from sqlalchemy import select

from ...models import (
    Instansi,
    Agama,
    Anak,
    Golongan,
    JenisDiklat,
    JenisJabatan,
    Pasangan,
    Pegawai,
    StatusPerkawinan,
    TingkatPendidikan,
)
from ..rules import add_years, make_nik, make_nip
from .tables import (
    AGAMA_WEIGHTS,
    BUP,
    BUP_GURU,
    CAREER_WEIGHTS,
    CAREERS,
    EDUCATION,
    EMAIL_DOMAINS,
    GURU_CEILING,
    HP_PREFIXES,
    PILIHAN_CEILING,
    PILIHAN_CEILING_FEW,
    SK_CODES_DAERAH,
    SK_CODES_PUSAT,
    STATUS_WEIGHTS,
    add_months,
    month_start_on_or_after,
    years_between,
)
from .careers import CareerHistory
from .family import FamilyHistory
from .world import REGION_CODES, REGIONS, InstansiSpec, UnitSpec


class PeopleGenerator(CareerHistory, FamilyHistory):
    """Draws people from one seed; holds the per-prefix NIP/NIK sequences."""

    def __init__(self, session, seed: int, as_of: dt.date):
        self.session = session
        # Reproducible demo data from a seed, not secrets: a seeded PRNG is the point.
        self.rng = random.Random(seed)  # nosec B311
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.as_of = as_of
        self.nip_seq: dict[str, int] = {}
        self.nik_seq: dict[str, int] = {}
        self.emails: set[str] = set()
        self.sk_counter = itertools.count(101)
        self._load_reference()
        self._load_existing_identifiers()

    # -- reference ids -------------------------------------------------------
    def _load_reference(self):
        s = self.session
        golongan = s.execute(select(Golongan.tingkat, Golongan.id, Golongan.kode).order_by(Golongan.tingkat)).all()
        self.tingkat_list = [g.tingkat for g in golongan]
        self.golongan = {g.tingkat: (g.id, g.kode) for g in golongan}
        self.pendidikan = dict(s.execute(select(TingkatPendidikan.nama, TingkatPendidikan.id)).all())
        self.agama = dict(s.execute(select(Agama.nama, Agama.id)).all())
        self.kawin = dict(s.execute(select(StatusPerkawinan.nama, StatusPerkawinan.id)).all())
        self.jenis_jabatan = dict(s.execute(select(JenisJabatan.nama, JenisJabatan.id)).all())
        self.jenis_diklat = dict(s.execute(select(JenisDiklat.nama, JenisDiklat.id)).all())
        self.agama_weights = tuple((n, w) for n, w in AGAMA_WEIGHTS if n in self.agama)

    def _load_existing_identifiers(self):
        """Continue every NIP/NIK sequence above what the database already holds."""
        s = self.session
        nips = itertools.chain(
            s.scalars(select(Pegawai.nip)), s.scalars(select(Pasangan.nip).where(Pasangan.nip.is_not(None)))
        )
        for nip in nips:
            if nip and len(nip) == 18 and nip.isdigit():
                self.nip_seq[nip[:15]] = max(self.nip_seq.get(nip[:15], 0), int(nip[15:]))
        niks = itertools.chain(*(s.scalars(select(m.nik).where(m.nik.is_not(None))) for m in (Pegawai, Pasangan, Anak)))
        for nik in niks:
            if nik and len(nik) == 16 and nik.isdigit():
                self.nik_seq[nik[:12]] = max(self.nik_seq.get(nik[:12], 0), int(nik[12:]))

    # -- identifiers -----------------------------------------------------------
    def nip(self, born, tmt_cpns, gender) -> str:
        prefix = make_nip(born, tmt_cpns, gender, 0)[:15]
        seq = self.nip_seq.get(prefix, 0) + 1
        if seq > 999:
            return None
        self.nip_seq[prefix] = seq
        return make_nip(born, tmt_cpns, gender, seq)

    def nik(self, region_code: str, born, gender) -> str:
        region = f"{region_code}{self.rng.randint(1, REGIONS[region_code][1]):02d}"
        prefix = make_nik(region, born, gender, 0)[:12]
        seq = self.nik_seq.get(prefix, 0) + 1
        self.nik_seq[prefix] = seq
        return make_nik(region, born, gender, seq)

    def sk(self, inst: InstansiSpec, kind: str, year: int) -> str:
        """A decree number in the style of the issuing office (ministry or BKD)."""
        n = next(self.sk_counter)
        if inst.jenis == Instansi.JENIS_PUSAT:
            return f"{n}/{SK_CODES_PUSAT[kind]}/KP/{year}"
        return f"{SK_CODES_DAERAH[kind]}/{n}/BKD/{year}"

    # -- small draws -------------------------------------------------------------
    def pick(self, weighted):
        names = [n for n, _w in weighted]
        return self.rng.choices(names, weights=[w for _n, w in weighted])[0]

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def name(self, gender: str) -> str:
        first = self.fake.first_name_male if gender == "L" else self.fake.first_name_female
        last = self.fake.last_name_male if gender == "L" else self.fake.last_name_female
        roll = self.rng.random()
        if roll < 0.15:
            parts = [first()]
        elif roll < 0.25:
            parts = [first(), first(), last()]
        else:
            parts = [first(), last()]
        return " ".join(dict.fromkeys(parts)).upper()

    def email(self, nama: str) -> str:
        words = [re.sub(r"[^a-z]", "", w.lower()) for w in nama.split()]
        base = ".".join(w for w in words[:2] if w) or "pegawai"
        for attempt in itertools.count():
            suffix = "" if attempt == 0 else str(self.rng.randint(1, 999))
            address = f"{base}{suffix}@{self.rng.choice(EMAIL_DOMAINS)}"
            if address not in self.emails:
                self.emails.add(address)
                return address

    def place(self, region_code: str) -> str:
        return REGIONS[region_code][0]

    def home_region(self, inst: InstansiSpec) -> str:
        return inst.regions[0] if self.rng.random() < 0.5 else self.rng.choice(inst.regions)

    def origin_region(self, inst: InstansiSpec) -> str:
        return self.home_region(inst) if self.rng.random() < 0.7 else self.rng.choice(REGION_CODES)

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    # -- one Pegawai ---------------------------------------------------------------
    def pegawai(self, unit: UnitSpec, *, status=None, career=None, family=False):
        """One Pegawai and its history/family rows (ORM objects, not yet added)."""
        rng, inst = self.rng, unit.instansi
        career = career or self.pick(CAREER_WEIGHTS.get(unit.kind, CAREER_WEIGHTS["umum"]))
        _jenis, edu_weights, female_only = CAREERS[career]
        gender = "P" if female_only else ("L" if rng.random() < 0.52 else "P")
        if career == "guru" and rng.random() < 0.15:
            gender = "P"  # teaching is the one career with a clear female majority
        edu_cpns = self.pick(edu_weights)
        status = status or self.pick(STATUS_WEIGHTS)
        _grad_ages, (age_lo, age_hi), start_tingkat, ceiling = EDUCATION[edu_cpns]
        cpns_age = rng.randint(age_lo, age_hi)
        bup = BUP_GURU if career == "guru" else BUP

        if status == Pegawai.STATUS_CPNS:
            tmt_cpns = add_months(self.as_of.replace(day=1), -rng.randint(0, 11))
            born = add_years(tmt_cpns, -cpns_age) - dt.timedelta(days=rng.randint(0, 364))
        elif status == Pegawai.STATUS_PENSIUN:
            # at least a month past the BUP birthday, so the pension has started by AS_OF
            born = add_years(self.as_of, -(bup + rng.randint(0, 5))) - dt.timedelta(days=rng.randint(31, 364))
            tmt_cpns = month_start_on_or_after(add_years(born, cpns_age))
        else:
            longest = max(1, bup - cpns_age - 3)
            service = int(rng.triangular(1, longest + 0.999, max(1, longest * 0.6)))
            tmt_cpns = add_months(self.as_of.replace(day=1), -(service * 12 + rng.randint(0, 11)))
            born = add_years(tmt_cpns, -cpns_age) - dt.timedelta(days=rng.randint(0, 364))
        # The 18th birthday / CPNS age rule: TMT is the first of a month on or after it.
        tmt_cpns = max(tmt_cpns, month_start_on_or_after(add_years(born, cpns_age)))
        pensiun = add_months(add_years(born, bup).replace(day=1), 1)
        end = min(self.as_of, pensiun - dt.timedelta(days=1)) if status == Pegawai.STATUS_PENSIUN else self.as_of
        tmt_pns = add_years(tmt_cpns, 1) if status != Pegawai.STATUS_CPNS else None

        nip = self.nip(born, tmt_cpns, gender)
        if nip is None:  # 999 people share birth date, month of TMT and gender: draw again
            return self.pegawai(unit, status=status, career=career, family=family)
        nama = self.name(gender)
        origin = self.origin_region(inst)
        home = self.home_region(inst)
        records = []

        # Education: the CPNS qualification, sometimes a further degree in service.
        upgrade = None
        if edu_cpns in ("S-1", "D-IV") and career in ("guru", "staf", "jft", "struktural") and rng.random() < 0.15:
            upgrade = "S-2"
        elif edu_cpns == "SLTA" and rng.random() < 0.12:
            upgrade = "S-1"
        pendidikan_rows, edu_final, gelar_depan, gelar_belakang = self._education(
            inst, career, edu_cpns, upgrade, born, tmt_cpns, end, gender
        )
        if edu_final != edu_cpns:
            ceiling = max(ceiling, EDUCATION[edu_final][3])
        records += pendidikan_rows

        keahlian = career in ("guru", "dokter", "struktural") or (
            career in ("jft", "perawat") and edu_final not in ("D-III", "SLTA")
        )
        if keahlian:
            if rng.random() < 0.1:
                ceiling = max(ceiling, PILIHAN_CEILING_FEW)
            else:
                ceiling = max(ceiling, GURU_CEILING if career == "guru" else PILIHAN_CEILING)
        if career == "perawat" and edu_cpns == "Profesi":
            start_tingkat = 31  # ners start at III/a
        if career in ("perawat", "bidan", "jft") and edu_cpns == "D-III":
            ceiling = 34

        sk_cpns_tanggal = tmt_cpns - dt.timedelta(days=rng.randint(5, 60))
        sk_cpns_nomor = self.sk(inst, "cpns", sk_cpns_tanggal.year)
        golongan = self._golongan(
            inst, career, start_tingkat, ceiling, tmt_cpns, end, status, sk_cpns_nomor, sk_cpns_tanggal
        )
        records += [row for _tingkat, row in golongan]
        last_gol = golongan[-1][1]
        jabatan_rows = self._jabatan(inst, unit, career, edu_final, golongan, tmt_cpns, end, status)
        records += jabatan_rows
        records += self._diklat(inst, career, jabatan_rows, tmt_cpns, end)

        age = years_between(born, self.as_of)
        married = self._marital_status(age, family)
        if married != "Belum Kawin" and (family or rng.random() < 0.55):
            family_rows, married = self._family(inst, gender, born, married, home, status)
            records += family_rows
        if family or rng.random() < 0.6:
            records += self._parents(inst, born)

        sk_pns_tanggal = None
        if tmt_pns is not None:
            sk_pns_tanggal = min(self.as_of, tmt_pns + dt.timedelta(days=rng.randint(0, 90)))
        last_jab = jabatan_rows[-1]
        pegawai = Pegawai(
            nip=nip,
            nip_lama=f"{inst.nip_lama}{self.digits(6)}" if tmt_cpns.year < 2008 else None,
            nik=self.nik(origin, born, gender),
            nama=nama,
            gelar_depan=gelar_depan,
            gelar_belakang=gelar_belakang,
            tempat_lahir=self.place(origin) if rng.random() < 0.85 else self.place(rng.choice(REGION_CODES)),
            tanggal_lahir=born,
            jenis_kelamin=gender,
            agama_id=self.agama[self.pick(self.agama_weights)],
            status_perkawinan_id=self.kawin.get(married),
            alamat=f"{self.fake.street_address()}, {REGIONS[home][0].title()}",
            kode_pos=(inst.kode_pos + self.digits(5))[:5],
            no_hp=f"0{rng.choice(HP_PREFIXES)}{self.digits(rng.choice((7, 8)))}" if rng.random() < 0.95 else None,
            email=self.email(nama) if rng.random() < 0.9 else None,
            npwp=(f"{self.digits(2)}.{self.digits(3)}.{self.digits(3)}.{self.digits(1)}-{self.digits(3)}.000")
            if rng.random() < 0.85
            else None,
            no_bpjs=f"000{self.digits(10)}" if rng.random() < 0.95 else None,
            no_taspen=self.digits(10),
            no_karpeg=(
                f"{'ABCDEFGHIJKLMNOP'[min(15, max(0, tmt_pns.year - 1990) // 2)]} {self.digits(6)}"
                if tmt_pns is not None
                else None
            ),
            instansi_id=inst.id,
            unit_kerja_id=unit.id,
            status=status,
            tmt_cpns=tmt_cpns,
            sk_cpns_nomor=sk_cpns_nomor,
            sk_cpns_tanggal=sk_cpns_tanggal,
            tmt_pns=tmt_pns,
            sk_pns_nomor=self.sk(inst, "pns", sk_pns_tanggal.year) if sk_pns_tanggal else None,
            sk_pns_tanggal=sk_pns_tanggal,
            golongan_id=last_gol.golongan_id,
            tmt_golongan=last_gol.tmt_golongan,
            jenis_jabatan_id=last_jab.jenis_jabatan_id,
            jabatan=last_jab.nama_jabatan,
            tmt_jabatan=last_jab.tmt_jabatan,
            pendidikan_terakhir_id=pendidikan_rows[-1].tingkat_pendidikan_id,
        )
        for row in records:
            row.pegawai = pegawai
        return pegawai, records

    # -- history -------------------------------------------------------------------
