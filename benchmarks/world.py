"""The synthetic civil service of the benchmarks: organisation and people as pure functions.

Every value of every row is a function of (seed, number of Pegawai, row index), so the
builder's worker processes can each produce one table for all Pegawai without sharing state,
and two builds with the same arguments give the same database. Nothing here touches a
database; `benchmarks.build_db` streams the rows into PostgreSQL COPY.

The people satisfy the domain rules of app/services/rules.py: the NIP is birth date + TMT
CPNS + gender + a sequence that is unique per (birth date, TMT, gender) by construction, the
NIK agrees with birth date and gender, TMT CPNS falls after the 18th birthday, golongan
history ascends in rank and TMT and ends at the current golongan.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field

from faker.providers.address.id_ID import Provider as _Address
from faker.providers.person.id_ID import Provider as _Person

AS_OF = dt.date(2015, 9, 1)  # the day the 2015 portal opened: every generated date is before it
AS_OF_MONTH = AS_OF.year * 12 + AS_OF.month - 1
FIRST_BIRTH = dt.date(1957, 1, 1)
LAST_BIRTH = dt.date(1993, 12, 31)
BIRTH_DAYS = (LAST_BIRTH - FIRST_BIRTH).days + 1
TMT_CHOICES = 24  # TMT CPNS months per (birth date, gender): NIP sequences stay below 10
KP_YEARS = 5  # years between two promotions (regular KP is 4, many wait longer)
EPOCH = dt.datetime(2015, 9, 1, 7, 0, 0)  # registrations and submissions start here
M64 = (1 << 64) - 1

NATIONAL_PEGAWAI = 4_500_000
NATIONAL_INSTANSI = 600
NATIONAL_UNITS = 40_000

# Shares (of active PNS / of approved registrations); see README "The data".
REGISTRATION_SHARES = (("disetujui", 0.60), ("menunggu", 0.12), ("ditolak", 0.015), ("direset", 0.015))
USULAN_SHARES = (
    ("draft", 0.06),
    ("returned", 0.04),
    ("di_skpd", 0.08),
    ("di_instansi", 0.08),
    ("di_bkn", 0.11),
    ("selesai", 0.13),
)

GOLONGAN_TINGKAT = (11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34, 41, 42, 43, 44, 45)
# Pendidikan terakhir (SIASN kode), share, entry golongan position, ceiling position, titles.
PENDIDIKAN = (
    ("15", 0.25, 4, 11, ()),
    ("30", 0.15, 6, 11, ("A.Md.",)),
    ("40", 0.45, 8, 13, ("S.Pd.", "S.E.", "S.H.", "S.Sos.", "S.Kom.", "S.T.", "S.Ag.", "S.Kep.")),
    ("45", 0.13, 9, 14, ("M.Pd.", "M.Si.", "M.M.", "M.Kes.", "M.T.")),
    ("50", 0.02, 10, 15, ("M.Si.",)),
)
JABATAN = (
    (
        "Fungsional Tertentu",
        (
            "Guru Pertama",
            "Guru Muda",
            "Guru Madya",
            "Perawat Pelaksana",
            "Bidan Pelaksana",
            "Dokter Pertama",
            "Penyuluh Pertanian",
            "Pranata Komputer",
        ),
    ),
    (
        "Fungsional Umum",
        (
            "Pengadministrasi Umum",
            "Pengelola Keuangan",
            "Pengadministrasi Kepegawaian",
            "Bendahara",
            "Analis Data",
            "Pengemudi",
            "Caraka",
        ),
    ),
    ("Struktural", ("Kepala Seksi", "Kepala Sub Bagian", "Kepala Bidang", "Sekretaris", "Kepala Dinas")),
)
JABATAN_SHARES = (0.55, 0.35, 0.10)
AGAMA_SHARES = (0.86, 0.06, 0.04, 0.02, 0.01, 0.005, 0.005)
KAMPUS = (
    "Universitas Gadjah Mada",
    "Universitas Indonesia",
    "Universitas Airlangga",
    "Universitas Padjadjaran",
    "Universitas Diponegoro",
    "Universitas Hasanuddin",
    "Universitas Sumatera Utara",
    "Universitas Negeri Yogyakarta",
    "Universitas Brawijaya",
    "Universitas Negeri Jakarta",
    "Universitas Sebelas Maret",
    "Universitas Udayana",
    "SMA Negeri 1",
    "SMK Negeri 2",
    "Akademi Keperawatan",
)
JURUSAN = (
    "Pendidikan Matematika",
    "Manajemen",
    "Ilmu Hukum",
    "Ilmu Administrasi Negara",
    "Keperawatan",
    "Teknik Sipil",
    "Pendidikan Guru Sekolah Dasar",
    "Akuntansi",
    "IPA",
    "IPS",
)
INSTANSI_PUSAT = (
    "Kementerian Agama",
    "Kementerian Kesehatan",
    "Kementerian Keuangan",
    "Kementerian Pendidikan dan Kebudayaan",
    "Kementerian Hukum dan Hak Asasi Manusia",
    "Kementerian Dalam Negeri",
    "Kementerian Pertanian",
    "Kementerian Perhubungan",
    "Kementerian Pekerjaan Umum dan Perumahan Rakyat",
    "Kementerian Sosial",
    "Badan Pusat Statistik",
    "Badan Kepegawaian Negara",
    "Badan Pertanahan Nasional",
    "Kementerian Lingkungan Hidup dan Kehutanan",
    "Kementerian Luar Negeri",
    "Badan Meteorologi, Klimatologi, dan Geofisika",
)
UNIT_L1 = (
    "Dinas Pendidikan",
    "Dinas Kesehatan",
    "Sekretariat Daerah",
    "Badan Kepegawaian Daerah",
    "Dinas Pekerjaan Umum",
    "Dinas Pertanian",
    "Dinas Perhubungan",
    "Dinas Sosial",
    "Badan Perencanaan Pembangunan Daerah",
    "Inspektorat",
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Badan Keuangan Daerah",
    "Satuan Polisi Pamong Praja",
    "Dinas Lingkungan Hidup",
)
UNIT_L2 = (
    "UPT Pelayanan Pendidikan",
    "Bidang Umum",
    "Bagian Organisasi",
    "Bidang Mutasi",
    "UPTD Puskesmas",
    "Bidang Anggaran",
    "Seksi Perencanaan",
    "Bagian Hukum",
    "Rumah Sakit Umum Daerah",
)
UNIT_L3 = ("SD Negeri", "SMP Negeri", "Puskesmas", "SMA Negeri", "Seksi", "Sub Bagian", "Kantor Kecamatan")
CITIES = tuple(c.upper() for c in _Address.cities)
STREETS = tuple(_Address.streets)
REGION_CODES = tuple(
    f"{p:02d}{k:02d}{c:02d}"
    for p in (11, 31, 32, 33, 34, 35, 51, 61, 73, 94)
    for k in (1, 2, 3, 71)
    for c in (1, 2, 3, 10)
)
FIRST_MALE = tuple(n.upper() for n in _Person.first_names_male)
FIRST_FEMALE = tuple(n.upper() for n in _Person.first_names_female)
LAST_MALE = tuple(n.upper() for n in _Person.last_names_male)
LAST_FEMALE = tuple(n.upper() for n in _Person.last_names_female)
NOMOR_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as services.registration
NULL = "\\N"  # NULL in COPY text format


def mix(x: int) -> int:
    """64-bit finaliser (splitmix64): consecutive inputs give unrelated outputs."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def _cumulative(shares):
    total, out = 0.0, []
    for s in shares:
        total += s
        out.append(total)
    return out


def _month_iso(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}-01"


def _next_kp(m: int) -> int:
    """Promotions take effect on 1 April or 1 October: the first of those on or after month m."""
    y, mo = divmod(m, 12)
    if mo <= 3:
        return y * 12 + 3
    if mo <= 9:
        return y * 12 + 9
    return (y + 1) * 12 + 3


def _coprime_step(n: int) -> int:
    step = int(n * 0.6180339887) | 1
    while math.gcd(step, n) != 1:
        step += 2
    return step


@dataclass
class Org:
    """Instansi and the unit kerja tree, with database ids assigned from 1."""

    instansi: list = field(default_factory=list)  # (id, kode, nama, jenis, kanreg_id)
    units: list = field(default_factory=list)  # (id, kode, nama, instansi_id, parent_id, path)
    unit_start: list = field(default_factory=list)  # per instansi index: first unit index
    unit_count: list = field(default_factory=list)
    inst_cum: list = field(default_factory=list)  # cumulative size shares
    skpd_unit_id: int = 0  # the demo Verifikator SKPD's unit: first top unit of instansi 1


def build_org(n_pegawai: int, kanreg_ids: list[int]) -> Org:
    """~600 instansi and ~40,000 units at national scale, scaled down with the Pegawai count
    (at least 8 instansi and 40 units). Instansi sizes follow 1/(rank+5): the largest (a
    ministry) holds ~3.6 % of all PNS, the smallest ~0.04 %."""
    n_inst = max(8, min(NATIONAL_INSTANSI, n_pegawai // 7500))
    n_units = max(40, min(NATIONAL_UNITS, n_pegawai // 112))
    weights = [1.0 / (k + 6) for k in range(n_inst)]
    total = sum(weights)
    org = Org(inst_cum=_cumulative(w / total for w in weights))
    counts = [max(3, round(n_units * w / total)) for w in weights]
    pusat = set(range(0, n_inst, 9))  # every ninth instansi is a central agency
    provinces = iter(_Address.states)
    next_pusat = iter(INSTANSI_PUSAT)
    unit_id = 0
    for k in range(n_inst):
        inst_id = k + 1
        if k in pusat:
            nama = next(next_pusat, None) or f"Badan Nasional {k}"
            jenis, kode = "pusat", f"P{k:04d}"
        else:
            province = next(provinces, None)
            if province is not None:
                nama = f"Pemerintah Provinsi {province}"
            else:
                city = _Address.cities[k % len(_Address.cities)]
                kind = "Kota" if k % 4 == 0 else "Kabupaten"
                again = k // len(_Address.cities)  # the list has 99 cities: number the repeats
                nama = f"Pemerintah {kind} {city}" + (f" {again + 1}" if again else "")
            jenis, kode = "daerah", f"D{k:04d}"
        org.instansi.append((inst_id, kode, nama, jenis, kanreg_ids[k % len(kanreg_ids)]))
        # Tree: 10 % top units, 45 % under them (30 % of those under the first top unit, a
        # large Dinas Pendidikan), the rest under the second level.
        c = counts[k]
        l1 = max(1, c // 10)
        l2 = max(1, (c - l1) // 2)
        l3 = c - l1 - l2
        org.unit_start.append(len(org.units))
        org.unit_count.append(c)
        level1, level2 = [], []
        city = CITIES[k % len(CITIES)].title()
        for a in range(l1):
            unit_id += 1
            path = f"/{unit_id}/"
            level1.append((unit_id, path))
            org.units.append(
                (
                    unit_id,
                    f"{kode}.{len(org.units):06d}",
                    UNIT_L1[a % len(UNIT_L1)] + ("" if a < len(UNIT_L1) else f" {a // len(UNIT_L1) + 1}"),
                    inst_id,
                    None,
                    path,
                )
            )
        first_share = max(1, int(l2 * 0.3))
        for a in range(l2):
            parent = level1[0] if a < first_share or l1 == 1 else level1[1 + (a - first_share) % (l1 - 1)]
            unit_id += 1
            path = f"{parent[1]}{unit_id}/"
            level2.append((unit_id, path))
            org.units.append(
                (
                    unit_id,
                    f"{kode}.{len(org.units):06d}",
                    f"{UNIT_L2[a % len(UNIT_L2)]} {city} {a + 1}",
                    inst_id,
                    parent[0],
                    path,
                )
            )
        for a in range(l3):
            parent = level2[a % len(level2)]
            unit_id += 1
            org.units.append(
                (
                    unit_id,
                    f"{kode}.{len(org.units):06d}",
                    f"{UNIT_L3[a % len(UNIT_L3)]} {a + 1} {city}",
                    inst_id,
                    parent[0],
                    f"{parent[1]}{unit_id}/",
                )
            )
        if k == 0:
            org.skpd_unit_id = level1[0][0]
    return org


class People:
    """Pegawai number i (0 ≤ i < n, database id i + 1): his record and the plan of what
    hangs off him (registration, submission, golongan history)."""

    def __init__(self, n: int, seed: int, org: Org, ref: dict):
        self.n, self.seed, self.org, self.ref = n, seed, org, ref
        self.step = _coprime_step(n)
        self.days = []
        for b in range(BIRTH_DAYS):
            d = FIRST_BIRTH + dt.timedelta(days=b)
            self.days.append(
                (
                    d.isoformat(),
                    f"{d:%Y%m%d}",
                    f"{d.day:02d}{d:%m%y}",
                    f"{d.day + 40:02d}{d:%m%y}",
                    d.year * 12 + d.month - 1,
                    b % 1000,
                )
            )
        self.month_iso = {m: _month_iso(m) for m in range(1970 * 12, 2017 * 12)}
        self.reg_cum = _cumulative(s for _, s in REGISTRATION_SHARES)
        self.usulan_cum = _cumulative(s for _, s in USULAN_SHARES)
        self.pend_cum = _cumulative(p[1] for p in PENDIDIKAN)
        self.jab_cum = _cumulative(JABATAN_SHARES)
        self.agama_cum = _cumulative(AGAMA_SHARES)
        self.gol_ids = [ref["golongan"][t] for t in GOLONGAN_TINGKAT]
        self.unit_ids = [u[0] for u in org.units]
        self.inst_kode = [x[1] for x in org.instansi]
        # Registration timestamps: 60 days from EPOCH, minute resolution.
        self.reg_days = [(EPOCH + dt.timedelta(days=d)).strftime("%Y-%m-%d") for d in range(61)]
        self.minutes = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)]
        self._history = {}

    # -- the person ----------------------------------------------------------------------
    def core(self, i: int):
        """(birth index, gender 0/1, NIP sequence, TMT CPNS month, status, pendidikan index,
        instansi index, unit id, random bits, rank among the Pegawai born that day) of Pegawai i."""
        j = (i * self.step) % self.n
        b = j % BIRTH_DAYS
        r = j // BIRTH_DAYS
        g = r & 1
        m = ((r >> 1) + b * 7) % TMT_CHOICES  # shifted per birth day: small builds get every TMT too
        seq = (r >> 1) // TMT_CHOICES + 1
        first = self.days[b][4] + 18 * 12 + 1
        span = min(AS_OF_MONTH - 1 - first, 17 * 12)
        tmt = first + (m * span) // TMT_CHOICES
        bits = mix(i ^ (self.seed << 40))
        if (bits & 0x3FF) < 41:  # 4 %
            status = "PENSIUN"
        elif tmt >= AS_OF_MONTH - 12:
            status = "CPNS"
        else:
            status = "PNS"
        pend = bisect.bisect_right(self.pend_cum, ((bits >> 10) & 0x3FF) / 1024)
        k = bisect.bisect_right(self.org.inst_cum, ((bits >> 20) & 0xFFFFF) / 1048576)
        unit = self.unit_ids[self.org.unit_start[k] + ((bits >> 40) & 0xFFFFF) % self.org.unit_count[k]]
        return b, g, seq, tmt, status, pend, k, unit, bits, r

    def golongan_history(self, tmt: int, pend: int):
        """[(golongan position, TMT month)] from the CPNS entry rank to the current one."""
        entry, ceiling = PENDIDIKAN[pend][2], PENDIDIKAN[pend][3]
        rows = [(entry, tmt)]
        month = tmt
        while rows[-1][0] < ceiling:
            month = _next_kp(month + KP_YEARS * 12)
            if month >= AS_OF_MONTH:
                break
            rows.append((rows[-1][0] + 1, month))
        return rows

    def _history_text(self, tmt: int, pend: int):
        """(golongan id, TMT golongan ISO, "{ids}", "{dates}") for COPY, memoised: only a few
        thousand (TMT, pendidikan) pairs exist."""
        key = tmt * 8 + pend
        found = self._history.get(key)
        if found is None:
            rows = self.golongan_history(tmt, pend)
            ids = [self.gol_ids[pos] for pos, _ in rows]
            dates = [self.month_iso[month] for _, month in rows]
            found = (ids[-1], dates[-1], "{" + ",".join(map(str, ids)) + "}", "{" + ",".join(dates) + "}")
            self._history[key] = found
        return found

    def nip(self, b, g, seq, tmt) -> str:
        return f"{self.days[b][1]}{tmt // 12:04d}{tmt % 12 + 1:02d}{g + 1}{seq:03d}"

    def registration_state(self, i, core) -> str | None:
        """disetujui / menunggu / ditolak / direset, or None (never registered)."""
        if core[4] == "PENSIUN":
            return None
        s = bisect.bisect_right(self.reg_cum, (mix(i * 5 + 3) & 0xFFFFF) / 1048576)
        return REGISTRATION_SHARES[s][0] if s < len(REGISTRATION_SHARES) else None

    def usulan_state(self, i, registration: str | None) -> str | None:
        """draft / returned / di_skpd / di_instansi / di_bkn / selesai, or None; only an
        approved registration has an account that can make a submission."""
        if registration != "disetujui":
            return None
        s = bisect.bisect_right(self.usulan_cum, (mix(i * 5 + 4) & 0xFFFFF) / 1048576)
        return USULAN_SHARES[s][0] if s < len(USULAN_SHARES) else None

    @staticmethod
    def nomor(i: int) -> str:
        """A 12-character registration number, unique: an invertible 60-bit mix of i."""
        x = ((i + 1) * 0x5DEECE66D1B7F3 + 0x2545F491) & ((1 << 60) - 1)
        x ^= x >> 29
        x = (x * 0x1F0A5D7B3C9E4A1) & ((1 << 60) - 1)  # odd multiplier: a bijection mod 2**60
        return "".join([NOMOR_ALPHABET[(x >> (5 * p)) & 31] for p in range(11, -1, -1)])

    def stage_line(self, i: int) -> str:
        """One COPY line of the staging table (benchmarks.build_db.STAGE_COLUMNS): what
        needs the rules above; SQL derives the rest of the record from these columns."""
        b, g, seq, tmt, status, pend, k, unit, bits, r = self.core(i)
        day = self.days[b]
        h = mix(i * 3 + 2)
        if g:
            first, last, nik_day = FIRST_FEMALE, LAST_FEMALE, day[3]
        else:
            first, last, nik_day = FIRST_MALE, LAST_MALE, day[2]
        if (h >> 20) & 3:
            nama = f"{first[h % len(first)]} {last[(h >> 10) % len(last)]}"
        else:
            nama = f"{first[(h >> 22) % len(first)]} {first[h % len(first)]} {last[(h >> 10) % len(last)]}"
        pend_row = PENDIDIKAN[pend]
        titles = pend_row[4]
        jab = bisect.bisect_right(self.jab_cum, ((h >> 30) & 0xFFFF) / 65536)
        jab_kind, jab_names = JABATAN[jab if jab < 3 else 2]
        gol_id, gol_iso, gol_ids, gol_tmts = self._history_text(tmt, pend)
        registration = self.registration_state(i, (0, 0, 0, 0, status))
        usulan = self.usulan_state(i, registration) if registration else None
        h2 = mix(i * 11 + 7)
        minute = h2 >> 8
        return (
            f"{i + 1}\t{day[1]}{tmt // 12:04d}{tmt % 12 + 1:02d}{g + 1}{seq:03d}\t"
            f"{REGION_CODES[(h >> 38) % len(REGION_CODES)]}{nik_day}{r + 1:04d}\t{nama}\t"
            f"{'Dr.' if pend == 4 else NULL}\t{titles[(h >> 8) % len(titles)] if titles else NULL}\t"
            f"{day[0]}\t{'P' if g else 'L'}\t{k + 1}\t{unit}\t{status}\t{self.month_iso[tmt]}\t"
            f"{gol_id}\t{gol_iso}\t{self.ref['jenis_jabatan'][jab_kind]}\t{jab_names[(h >> 18) % len(jab_names)]}\t"
            f"{self.ref['pendidikan'][pend_row[0]]}\t{registration or NULL}\t{usulan or NULL}\t"
            f"{'t' if usulan == 'di_bkn' or (h2 & 0xFF) < 90 else 'f'}\t"
            f"{self.reg_days[minute % 60]} {self.minutes[(minute >> 6) % 1440]}\t"
            f"{self.nomor(i) if registration else NULL}\t{gol_ids}\t{gol_tmts}\n"
        )
