"""The demo organisation: six instansi in four Kanreg with their unit trees (the spec
tables) and `ensure_organisation`, which writes what is missing of them."""

import copy
from dataclasses import dataclass, field

from sqlalchemy import select

from ...models import (
    Instansi,
    Kanreg,
    UnitKerja,
)
from .results import SeedStats


@dataclass
class UnitSpec:
    """A unit in the spec tree; `kind` picks the careers found there."""

    nama: str
    kind: str = "umum"  # umum | pendidikan | sekolah | kesehatan | faskes
    weight: int = 1
    children: tuple = ()
    id: int | None = None
    path: str = ""
    instansi: "InstansiSpec" = None


@dataclass
class InstansiSpec:
    kode: str
    nama: str
    jenis: str
    kanreg: str
    kota: str  # city used in addresses and school names
    regions: tuple  # kab/kota codes (4 digits) where staff usually live
    kode_pos: str  # postal-code prefix of the area
    nip_lama: str  # 3-digit prefix of pre-2008 (9-digit) NIPs
    kampus: tuple  # local universities
    diklat: str  # regional training body
    weight: int
    units: tuple
    id: int | None = None
    flat_units: list = field(default_factory=list)


P, D = Instansi.JENIS_PUSAT, Instansi.JENIS_DAERAH

# Instansi 1 carries the demo accounts; its Dinas Dikpora is the Verifikator SKPD's unit.
DEMO_SKPD_UNIT = "Dinas Pendidikan, Pemuda dan Olahraga"
INSTANSI = [
    InstansiSpec(
        "3400",
        "Pemerintah Provinsi DI Yogyakarta",
        D,
        "I",
        "Yogyakarta",
        ("3471", "3404", "3402", "3403", "3401"),
        "55",
        "520",
        (
            "Universitas Gadjah Mada",
            "Universitas Negeri Yogyakarta",
            "Universitas Islam Indonesia",
            "Universitas Ahmad Dahlan",
        ),
        "Badan Pendidikan dan Pelatihan DIY",
        22,
        (
            UnitSpec(
                "Sekretariat Daerah",
                children=(
                    UnitSpec("Biro Umum, Hubungan Masyarakat dan Protokol"),
                    UnitSpec("Biro Organisasi"),
                    UnitSpec("Biro Hukum"),
                ),
            ),
            UnitSpec(
                "Badan Kepegawaian Daerah",
                children=(UnitSpec("Bidang Mutasi"), UnitSpec("Bidang Pengembangan Pegawai")),
            ),
            UnitSpec(
                DEMO_SKPD_UNIT,
                "pendidikan",
                children=(
                    UnitSpec(
                        "Balai Pengembangan Pendidikan Khusus",
                        "pendidikan",
                        children=(
                            UnitSpec("SLB Negeri 1 Yogyakarta", "sekolah", 2),
                            UnitSpec("SLB Negeri 2 Yogyakarta", "sekolah", 2),
                            UnitSpec("SLB Negeri 1 Sleman", "sekolah", 2),
                        ),
                    ),
                    UnitSpec("Balai Pemuda dan Olahraga", "pendidikan"),
                ),
            ),
            UnitSpec(
                "Dinas Kesehatan",
                "kesehatan",
                children=(
                    UnitSpec("Rumah Sakit Jiwa Grhasia", "faskes", 4),
                    UnitSpec("Balai Laboratorium Kesehatan", "faskes"),
                ),
            ),
        ),
    ),
    InstansiSpec(
        "3404",
        "Pemerintah Kabupaten Sleman",
        D,
        "I",
        "Sleman",
        ("3404", "3471", "3402", "3403"),
        "55",
        "521",
        (
            "Universitas Gadjah Mada",
            "Universitas Negeri Yogyakarta",
            'UPN "Veteran" Yogyakarta',
            "Universitas Sarjanawiyata Tamansiswa",
        ),
        "Badan Pendidikan dan Pelatihan DIY",
        20,
        (
            UnitSpec("Sekretariat Daerah", children=(UnitSpec("Bagian Umum"), UnitSpec("Bagian Organisasi"))),
            UnitSpec(
                "Dinas Pendidikan",
                "pendidikan",
                children=(
                    UnitSpec(
                        "UPT Pelayanan Pendidikan Kecamatan Depok",
                        "pendidikan",
                        children=(
                            UnitSpec("SD Negeri Depok 1", "sekolah", 2),
                            UnitSpec("SD Negeri Depok 2", "sekolah", 2),
                        ),
                    ),
                    UnitSpec("SMP Negeri 1 Depok", "sekolah", 2),
                    UnitSpec("SMA Negeri 1 Depok", "sekolah", 2),
                ),
            ),
            UnitSpec(
                "Dinas Kesehatan",
                "kesehatan",
                children=(
                    UnitSpec("Puskesmas Depok I", "faskes", 2),
                    UnitSpec("Puskesmas Mlati II", "faskes", 2),
                    UnitSpec("RSUD Sleman", "faskes", 4),
                ),
            ),
            UnitSpec("Badan Kepegawaian Daerah"),
        ),
    ),
    InstansiSpec(
        "3578",
        "Pemerintah Kota Surabaya",
        D,
        "II",
        "Surabaya",
        ("3578", "3515", "3525"),
        "60",
        "530",
        (
            "Universitas Airlangga",
            "Universitas Negeri Surabaya",
            "Institut Teknologi Sepuluh Nopember",
            "Universitas PGRI Adi Buana",
        ),
        "Badan Pendidikan dan Pelatihan Provinsi Jawa Timur",
        20,
        (
            UnitSpec("Sekretariat Daerah", children=(UnitSpec("Bagian Organisasi"), UnitSpec("Bagian Hukum"))),
            UnitSpec(
                "Dinas Pendidikan",
                "pendidikan",
                children=(
                    UnitSpec("SD Negeri Kaliasin I", "sekolah", 2),
                    UnitSpec("SMP Negeri 1 Surabaya", "sekolah", 2),
                    UnitSpec("SMA Negeri 5 Surabaya", "sekolah", 2),
                    UnitSpec("SMK Negeri 1 Surabaya", "sekolah", 2),
                ),
            ),
            UnitSpec(
                "Dinas Kesehatan",
                "kesehatan",
                children=(
                    UnitSpec("Puskesmas Ketabang", "faskes", 2),
                    UnitSpec("Puskesmas Pucang Sewu", "faskes", 2),
                    UnitSpec("RSUD dr. Mohamad Soewandhie", "faskes", 4),
                ),
            ),
            UnitSpec("Badan Kepegawaian dan Diklat"),
        ),
    ),
    InstansiSpec(
        "K023",
        "Kementerian Pendidikan dan Kebudayaan",
        P,
        "V",
        "Jakarta",
        ("3171", "3172", "3174", "3276", "3201"),
        "1",
        "130",
        (
            "Universitas Indonesia",
            "Universitas Negeri Jakarta",
            "Universitas Pendidikan Indonesia",
            "Institut Pertanian Bogor",
        ),
        "Pusat Pengembangan Sumber Daya Manusia Kemendikbud",
        15,
        (
            UnitSpec(
                "Sekretariat Jenderal",
                children=(
                    UnitSpec(
                        "Biro Kepegawaian",
                        children=(UnitSpec("Bagian Mutasi"), UnitSpec("Bagian Pengembangan Pegawai")),
                    ),
                    UnitSpec("Biro Keuangan"),
                ),
            ),
            UnitSpec(
                "Direktorat Jenderal Pendidikan Dasar dan Menengah",
                "pendidikan",
                children=(
                    UnitSpec("Direktorat Pembinaan Sekolah Menengah Atas", "pendidikan"),
                    UnitSpec("Direktorat Pembinaan Sekolah Menengah Pertama", "pendidikan"),
                ),
            ),
            UnitSpec(
                "Badan Penelitian dan Pengembangan",
                "pendidikan",
                children=(
                    UnitSpec("Pusat Kurikulum dan Perbukuan", "pendidikan"),
                    UnitSpec("Pusat Penilaian Pendidikan", "pendidikan"),
                ),
            ),
        ),
    ),
    InstansiSpec(
        "3273",
        "Pemerintah Kota Bandung",
        D,
        "III",
        "Bandung",
        ("3273", "3204", "3277"),
        "40",
        "540",
        (
            "Universitas Padjadjaran",
            "Institut Teknologi Bandung",
            "Universitas Pendidikan Indonesia",
            "Universitas Pasundan",
        ),
        "Badan Pendidikan dan Pelatihan Provinsi Jawa Barat",
        10,
        (
            UnitSpec("Sekretariat Daerah", children=(UnitSpec("Bagian Umum"), UnitSpec("Bagian Organisasi"))),
            UnitSpec(
                "Dinas Pendidikan",
                "pendidikan",
                children=(
                    UnitSpec("SD Negeri Sukajadi 1", "sekolah", 2),
                    UnitSpec("SMP Negeri 2 Bandung", "sekolah", 2),
                    UnitSpec("SMA Negeri 3 Bandung", "sekolah", 2),
                ),
            ),
            UnitSpec(
                "Dinas Kesehatan",
                "kesehatan",
                children=(
                    UnitSpec("Puskesmas Puter", "faskes", 2),
                    UnitSpec("Puskesmas Garuda", "faskes", 2),
                    UnitSpec("RSUD Kota Bandung", "faskes", 3),
                ),
            ),
        ),
    ),
    InstansiSpec(
        "7300",
        "Pemerintah Provinsi Sulawesi Selatan",
        D,
        "IV",
        "Makassar",
        ("7371", "7306", "7308", "7302", "7372"),
        "90",
        "820",
        ("Universitas Hasanuddin", "Universitas Negeri Makassar", "Universitas Muslim Indonesia"),
        "Badan Pendidikan dan Pelatihan Provinsi Sulawesi Selatan",
        13,
        (
            UnitSpec(
                "Sekretariat Daerah",
                children=(UnitSpec("Biro Umum dan Perlengkapan"), UnitSpec("Biro Organisasi dan Kepegawaian")),
            ),
            UnitSpec("Badan Kepegawaian Daerah", children=(UnitSpec("Bidang Mutasi"),)),
            UnitSpec(
                "Dinas Kesehatan",
                "kesehatan",
                children=(UnitSpec("RSUD Labuang Baji", "faskes", 4), UnitSpec("RS Khusus Daerah Dadi", "faskes", 2)),
            ),
            UnitSpec("Dinas Pendidikan", "pendidikan", children=(UnitSpec("SLB Negeri 1 Makassar", "sekolah", 2),)),
            UnitSpec(
                "Dinas Pertanian Tanaman Pangan dan Hortikultura", children=(UnitSpec("UPTD Balai Benih Induk Padi"),)
            ),
        ),
    ),
]

# Kab/kota codes (Kemendagri) → place name and number of kecamatan, for NIK and birthplace.
REGIONS = {
    "3471": ("YOGYAKARTA", 14),
    "3404": ("SLEMAN", 17),
    "3402": ("BANTUL", 17),
    "3403": ("GUNUNGKIDUL", 18),
    "3401": ("KULON PROGO", 12),
    "3578": ("SURABAYA", 31),
    "3515": ("SIDOARJO", 18),
    "3525": ("GRESIK", 18),
    "3573": ("MALANG", 5),
    "3273": ("BANDUNG", 30),
    "3204": ("BANDUNG", 31),
    "3277": ("CIMAHI", 3),
    "3171": ("JAKARTA", 10),
    "3172": ("JAKARTA", 10),
    "3174": ("JAKARTA", 8),
    "3276": ("DEPOK", 11),
    "3201": ("BOGOR", 40),
    "7371": ("MAKASSAR", 14),
    "7306": ("SUNGGUMINASA", 18),
    "7308": ("WATAMPONE", 27),
    "7302": ("BULUKUMBA", 10),
    "7372": ("PAREPARE", 4),
    "3374": ("SEMARANG", 16),
    "3372": ("SURAKARTA", 5),
    "3307": ("WONOSOBO", 15),
    "3302": ("PURWOKERTO", 27),
    "3509": ("JEMBER", 31),
    "3510": ("BANYUWANGI", 24),
    "1275": ("MEDAN", 21),
    "1371": ("PADANG", 11),
    "5171": ("DENPASAR", 4),
    "7171": ("MANADO", 11),
    "6471": ("BALIKPAPAN", 6),
    "1671": ("PALEMBANG", 18),
    "3305": ("KEBUMEN", 26),
    "3313": ("KARANGANYAR", 17),
}
REGION_CODES = tuple(REGIONS)


def ensure_organisation(session, stats: SeedStats) -> list[InstansiSpec]:
    """Create (or find by kode) the demo instansi and their unit trees. Returns a copy of
    INSTANSI with database ids and paths filled in."""
    specs = copy.deepcopy(INSTANSI)
    kanreg = dict(session.execute(select(Kanreg.kode, Kanreg.id)).all())
    for spec in specs:
        instansi = session.scalar(select(Instansi).where(Instansi.kode == spec.kode))
        if instansi is None:
            instansi = Instansi(kode=spec.kode, nama=spec.nama, jenis=spec.jenis, kanreg_id=kanreg[spec.kanreg])
            session.add(instansi)
            session.flush()
            stats.instansi_created += 1
        spec.id = instansi.id
        spec.flat_units = []

        # Called right away, inside this loop: binding the loop's instansi/spec as defaults
        # only makes that explicit.
        def build(nodes, parent, parent_kode, instansi=instansi, spec=spec):
            for i, node in enumerate(nodes, start=1):
                kode = f"{parent_kode}.{i:02d}"
                unit = session.scalar(select(UnitKerja).where(UnitKerja.kode == kode))
                if unit is None:
                    unit = UnitKerja(
                        kode=kode, nama=node.nama, instansi_id=instansi.id, parent_id=parent.id if parent else None
                    )
                    session.add(unit)
                    session.flush()  # the id, and the path the model derives from it
                    stats.units_created += 1
                node.id, node.path, node.instansi = unit.id, unit.path, spec
                spec.flat_units.append(node)
                build(node.children, unit, kode)

        build(spec.units, None, spec.kode)
    session.flush()
    return specs


def skpd_kode() -> str:
    """Kode of the Verifikator SKPD's unit: a top-level unit of instansi 1."""
    position = next(i for i, u in enumerate(INSTANSI[0].units, start=1) if u.nama == DEMO_SKPD_UNIT)
    return f"{INSTANSI[0].kode}.{position:02d}"


def first_leaf(node: UnitSpec) -> UnitSpec:
    while node.children:
        node = node.children[0]
    return node
