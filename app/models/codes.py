"""Every enum of the personnel record in one place: the codes a coded column stores, each
with its label (an English msgid, shown in Indonesian), and the words people typed for it.

A coded column stores a code and nothing else, the same code everywhere (gender is L/P on
the Pegawai and on the Anak). Forms offer the labels of `ENUMS`, screens and printouts show
them; `to_code` turns what people typed before (the `SYNONYMS`) into a code, for the data
migration. The model constants (Pegawai.STATUS_PNS, Anak.STATUS_KANDUNG, …) are these codes.

Plain data and lookups: no database, no request (a label is resolved when it is printed)."""

import re

from flask_babel import lazy_gettext as _l

# Enum names, one per kind of coded value.
JENIS_KELAMIN = "jenis_kelamin"
STATUS_PEGAWAI = "status_pegawai"
STATUS_HIDUP = "status_hidup"
STATUS_ANAK = "status_anak"
HUBUNGAN_ORANG_TUA = "hubungan_orang_tua"
JENIS_KP = "jenis_kp"
JENIS_SKP = "jenis_skp"
JENIS_KOMPETENSI = "jenis_kompetensi"
STATUS_KEPEMILIKAN = "status_kepemilikan"
ESELON = "eselon"
JENIS_HUKUMAN = "jenis_hukuman"

GENDER_MALE, GENDER_FEMALE = "L", "P"
PEGAWAI_CPNS, PEGAWAI_PNS, PEGAWAI_PENSIUN, PEGAWAI_BERHENTI = "CPNS", "PNS", "PENSIUN", "BERHENTI"
HIDUP, MENINGGAL = "hidup", "meninggal"
ANAK_KANDUNG, ANAK_TIRI, ANAK_ANGKAT = "kandung", "tiri", "angkat"
AYAH, IBU = "ayah", "ibu"
SKP, DP3 = "SKP", "DP3"
KOMPETENSI, SELF_ASSESSMENT = "kompetensi", "self_assessment"
KP_PENGANGKATAN_CPNS, KP_REGULER = "pengangkatan_cpns", "reguler"
KP_PILIHAN_STRUKTURAL, KP_PILIHAN_FUNGSIONAL = "pilihan_struktural", "pilihan_fungsional"

# Disciplinary sanctions by weight (PP 94/2021 Pasal 8; the PP 53/2010 kinds of older rows).
RINGAN, SEDANG, BERAT = "ringan", "sedang", "berat"

_HUKUMAN = (
    ("teguran_lisan", RINGAN, _l("Light: oral reprimand")),
    ("teguran_tertulis", RINGAN, _l("Light: written reprimand")),
    ("pernyataan_tidak_puas", RINGAN, _l("Light: written statement of dissatisfaction")),
    ("potong_tukin_6", SEDANG, _l("Moderate: performance allowance cut by 25 percent for 6 months")),
    ("potong_tukin_9", SEDANG, _l("Moderate: performance allowance cut by 25 percent for 9 months")),
    ("potong_tukin_12", SEDANG, _l("Moderate: performance allowance cut by 25 percent for 12 months")),
    ("tunda_kgb", SEDANG, _l("Moderate: salary increment postponed for 1 year (PP 53/2010)")),
    ("tunda_kp", SEDANG, _l("Moderate: promotion postponed for 1 year (PP 53/2010)")),
    ("turun_pangkat_1", SEDANG, _l("Moderate: demotion by one rank for 1 year (PP 53/2010)")),
    ("turun_jabatan", BERAT, _l("Heavy: demotion to a lower position for 12 months")),
    ("bebas_jabatan", BERAT, _l("Heavy: relieved of position, made an executor for 12 months")),
    ("turun_pangkat_3", BERAT, _l("Heavy: demotion by one rank for 3 years (PP 53/2010)")),
    ("pemberhentian_hormat", BERAT, _l("Heavy: honourable dismissal not at own request")),
    ("pemberhentian_tidak_hormat", BERAT, _l("Heavy: dishonourable dismissal")),
)

# code -> label, in the order a select box lists them.
ENUMS = {
    JENIS_KELAMIN: {GENDER_MALE: _l("Male"), GENDER_FEMALE: _l("Female")},
    STATUS_PEGAWAI: {
        PEGAWAI_CPNS: _l("CPNS (candidate civil servant)"),
        PEGAWAI_PNS: _l("PNS (civil servant)"),
        PEGAWAI_PENSIUN: _l("Retired"),
        PEGAWAI_BERHENTI: _l("Left the service"),
    },
    STATUS_HIDUP: {HIDUP: _l("Alive"), MENINGGAL: _l("Deceased")},
    STATUS_ANAK: {
        ANAK_KANDUNG: _l("Biological child"),
        ANAK_TIRI: _l("Stepchild"),
        ANAK_ANGKAT: _l("Adopted child"),
    },
    HUBUNGAN_ORANG_TUA: {AYAH: _l("Father"), IBU: _l("Mother")},
    # BKN's kinds of kenaikan pangkat (PP 99/2000 jo. PP 12/2002), and the first golongan row.
    JENIS_KP: {
        KP_PENGANGKATAN_CPNS: _l("Appointment as CPNS/PNS"),
        KP_REGULER: _l("Regular promotion"),
        KP_PILIHAN_STRUKTURAL: _l("Selective promotion (structural position)"),
        KP_PILIHAN_FUNGSIONAL: _l("Selective promotion (functional position)"),
        "penyesuaian_ijazah": _l("Selective promotion (adjustment to a new diploma)"),
        "tugas_belajar": _l("Selective promotion (study assignment)"),
        "istimewa": _l("Special promotion (outstanding achievement)"),
        "penemuan_baru": _l("Promotion for a new invention"),
        "pengabdian": _l("Promotion for service (before retirement)"),
        "anumerta": _l("Posthumous promotion"),
    },
    JENIS_SKP: {SKP: _l("SKP (performance targets)"), DP3: _l("DP3 (appraisal before 2014)")},
    JENIS_KOMPETENSI: {KOMPETENSI: _l("Competence"), SELF_ASSESSMENT: _l("Self-assessment")},
    STATUS_KEPEMILIKAN: {
        "milik_sendiri": _l("Own house"),
        "sewa": _l("Rented"),
        "dinas": _l("Official residence"),
        "menumpang": _l("Living with family"),
    },
    ESELON: {
        **{f"{level}.{step}": f"{level}.{step}" for level in ("I", "II", "III", "IV") for step in "ab"},
        "V.a": "V.a",
        "non_eselon": _l("Non-echelon"),
    },
    JENIS_HUKUMAN: {code: text for code, _weight, text in _HUKUMAN},
}

# The weight (ringan/sedang/berat) of each kind of sanction.
HUKUMAN_WEIGHT = {code: weight for code, weight, _text in _HUKUMAN}

# Kinds of PP 53/2010 only (older rows); their labels say so.
_PP53_KINDS = frozenset({"tunda_kgb", "tunda_kp", "turun_pangkat_1", "turun_pangkat_3"})
# The kinds of sanction as the regulations word them (PP 94/2021 Pasal 8, PP 53/2010 Pasal 7).
_HUKUMAN_ID = (
    ("teguran_lisan", RINGAN, "teguran lisan"),
    ("teguran_tertulis", RINGAN, "teguran tertulis"),
    ("pernyataan_tidak_puas", RINGAN, "pernyataan tidak puas secara tertulis"),
    ("potong_tukin_6", SEDANG, "pemotongan tunjangan kinerja 25 persen selama 6 bulan"),
    ("potong_tukin_9", SEDANG, "pemotongan tunjangan kinerja 25 persen selama 9 bulan"),
    ("potong_tukin_12", SEDANG, "pemotongan tunjangan kinerja 25 persen selama 12 bulan"),
    ("tunda_kgb", SEDANG, "penundaan kenaikan gaji berkala selama 1 tahun"),
    ("tunda_kp", SEDANG, "penundaan kenaikan pangkat selama 1 tahun"),
    ("turun_pangkat_1", SEDANG, "penurunan pangkat setingkat lebih rendah selama 1 tahun"),
    ("turun_jabatan", BERAT, "penurunan jabatan setingkat lebih rendah selama 12 bulan"),
    ("bebas_jabatan", BERAT, "pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"),
    ("turun_pangkat_3", BERAT, "penurunan pangkat setingkat lebih rendah selama 3 tahun"),
    ("pemberhentian_hormat", BERAT, "pemberhentian dengan hormat tidak atas permintaan sendiri"),
    ("pemberhentian_tidak_hormat", BERAT, "pemberhentian tidak dengan hormat"),
)

# What people typed for a code (the old free-text boxes, imports, other systems), compared
# after `normalise`. A code, its label (English msgid) and its Indonesian label need no entry.
SYNONYMS = {
    JENIS_KELAMIN: {
        "laki-laki": GENDER_MALE,
        "laki laki": GENDER_MALE,
        "lakilaki": GENDER_MALE,
        "laki": GENDER_MALE,
        "lk": GENDER_MALE,
        "pria": GENDER_MALE,
        "m": GENDER_MALE,
        "male": GENDER_MALE,
        "1": GENDER_MALE,
        "perempuan": GENDER_FEMALE,
        "pr": GENDER_FEMALE,
        "wanita": GENDER_FEMALE,
        "w": GENDER_FEMALE,
        "f": GENDER_FEMALE,
        "female": GENDER_FEMALE,
        "2": GENDER_FEMALE,
    },
    STATUS_PEGAWAI: {
        "calon pns": PEGAWAI_CPNS,
        "cpns calon pegawai negeri sipil": PEGAWAI_CPNS,
        "pns pegawai negeri sipil": PEGAWAI_PNS,
        "calon pegawai negeri sipil": PEGAWAI_CPNS,
        "pegawai negeri sipil": PEGAWAI_PNS,
        "aktif": PEGAWAI_PNS,
        "pensiunan": PEGAWAI_PENSIUN,
        "purna tugas": PEGAWAI_PENSIUN,
        "berhenti": PEGAWAI_BERHENTI,
        "diberhentikan": PEGAWAI_BERHENTI,
        "keluar": PEGAWAI_BERHENTI,
    },
    STATUS_HIDUP: {
        "masih hidup": HIDUP,
        "ada": HIDUP,
        "y": HIDUP,
        "ya": HIDUP,
        "almarhum": MENINGGAL,
        "almarhumah": MENINGGAL,
        "alm": MENINGGAL,
        "almh": MENINGGAL,
        "wafat": MENINGGAL,
        "meninggal dunia": MENINGGAL,
        "mati": MENINGGAL,
        "sudah meninggal": MENINGGAL,
        "dead": MENINGGAL,
    },
    STATUS_ANAK: {
        "anak kandung": ANAK_KANDUNG,
        "ak": ANAK_KANDUNG,
        "anak tiri": ANAK_TIRI,
        "at": ANAK_TIRI,
        "anak angkat": ANAK_ANGKAT,
        "aa": ANAK_ANGKAT,
        "adopsi": ANAK_ANGKAT,
    },
    HUBUNGAN_ORANG_TUA: {
        "bapak": AYAH,
        "bapa": AYAH,
        "bpk": AYAH,
        "abah": AYAH,
        "papa": AYAH,
        "ayah kandung": AYAH,
        "emak": IBU,
        "mama": IBU,
        "ibu kandung": IBU,
        "bunda": IBU,
    },
    JENIS_KP: {
        "pengangkatan cpns": KP_PENGANGKATAN_CPNS,
        "pengangkatan cpns/pns": KP_PENGANGKATAN_CPNS,
        "pengangkatan pns": KP_PENGANGKATAN_CPNS,
        "cpns": KP_PENGANGKATAN_CPNS,
        "kp reguler": KP_REGULER,
        "regular": KP_REGULER,
        "pilihan jabatan struktural": KP_PILIHAN_STRUKTURAL,
        "pilihan struktural": KP_PILIHAN_STRUKTURAL,
        "struktural": KP_PILIHAN_STRUKTURAL,
        "pilihan jabatan fungsional tertentu": KP_PILIHAN_FUNGSIONAL,
        "pilihan jabatan fungsional": KP_PILIHAN_FUNGSIONAL,
        "pilihan fungsional": KP_PILIHAN_FUNGSIONAL,
        "fungsional": KP_PILIHAN_FUNGSIONAL,
        "jft": KP_PILIHAN_FUNGSIONAL,
        "pilihan penyesuaian ijazah": "penyesuaian_ijazah",
        "penyesuaian ijazah": "penyesuaian_ijazah",
        "pi": "penyesuaian_ijazah",
        "pilihan tugas belajar": "tugas_belajar",
        "tugas belajar": "tugas_belajar",
        "prestasi luar biasa": "istimewa",
        "prestasi kerja luar biasa": "istimewa",
        "kp istimewa": "istimewa",
        "istimewa (prestasi kerja luar biasa)": "istimewa",
        "kenaikan pangkat pilihan (penemuan baru)": "penemuan_baru",
        "kenaikan pangkat pengabdian": "pengabdian",
        "kenaikan pangkat anumerta": "anumerta",
        "penemuan baru": "penemuan_baru",
        "kp pengabdian": "pengabdian",
        "kp anumerta": "anumerta",
    },
    JENIS_SKP: {
        "sasaran kinerja pegawai": SKP,
        "skp (sasaran kinerja pegawai)": SKP,
        "skp 2014": SKP,
        "daftar penilaian pelaksanaan pekerjaan": DP3,
        "dp3 (penilaian sebelum 2014)": DP3,
    },
    JENIS_KOMPETENSI: {
        "self assessment": SELF_ASSESSMENT,
        "selfassessment": SELF_ASSESSMENT,
        "penilaian diri": SELF_ASSESSMENT,
        "penilaian diri (self-assessment)": SELF_ASSESSMENT,
        "penilaian mandiri": SELF_ASSESSMENT,
        "asesmen mandiri": SELF_ASSESSMENT,
        "competence": KOMPETENSI,
        "uji kompetensi": KOMPETENSI,
    },
    STATUS_KEPEMILIKAN: {
        "milik sendiri": "milik_sendiri",
        "rumah sendiri": "milik_sendiri",
        "sendiri": "milik_sendiri",
        "milik pribadi": "milik_sendiri",
        "sewa": "sewa",
        "kontrak": "sewa",
        "sewa kontrak": "sewa",
        "kost": "sewa",
        "kos": "sewa",
        "rumah dinas": "dinas",
        "rumah negara": "dinas",
        "ikut orang tua": "menumpang",
        "ikut keluarga": "menumpang",
        "rumah orang tua": "menumpang",
    },
    ESELON: {
        **{
            f"{roman} {step}": f"{roman}.{step}"
            for roman in ("I", "II", "III", "IV", "V")
            for step in ("a", "b")
            if f"{roman}.{step}" in ENUMS[ESELON]
        },
        **{
            f"{digit}{step}": f"{roman}.{step}"
            for digit, roman in (("1", "I"), ("2", "II"), ("3", "III"), ("4", "IV"), ("5", "V"))
            for step in ("a", "b")
            if f"{roman}.{step}" in ENUMS[ESELON]
        },
        "non eselon": "non_eselon",
        "nonesselon": "non_eselon",
        "noneselon": "non_eselon",
        "non": "non_eselon",
        "-": "non_eselon",
    },
    JENIS_HUKUMAN: {
        **{f"{weight}: {text}": code for code, weight, text in _HUKUMAN_ID},
        **{text: code for code, _weight, text in _HUKUMAN_ID},
        **{f"{weight}: {text} (PP 53/2010)": code for code, weight, text in _HUKUMAN_ID if code in _PP53_KINDS},
        "pernyataan tidak puas": "pernyataan_tidak_puas",
        "penundaan kgb": "tunda_kgb",
        "penundaan kenaikan gaji berkala": "tunda_kgb",
        "penundaan kenaikan pangkat": "tunda_kp",
        "penurunan jabatan": "turun_jabatan",
        "pemindahan dalam rangka penurunan jabatan": "turun_jabatan",
        "pembebasan dari jabatan": "bebas_jabatan",
        "pembebasan jabatan": "bebas_jabatan",
        "pdhtaps": "pemberhentian_hormat",
        "ptdh": "pemberhentian_tidak_hormat",
    },
}

# Every coded column: (table, column) -> enum. Data utama is the `pegawai` table.
CODED_COLUMNS = {
    ("pegawai", "jenis_kelamin"): JENIS_KELAMIN,
    ("pegawai", "status"): STATUS_PEGAWAI,
    ("pasangan", "status_hidup"): STATUS_HIDUP,
    ("anak", "jenis_kelamin"): JENIS_KELAMIN,
    ("anak", "status_anak"): STATUS_ANAK,
    ("anak", "status_hidup"): STATUS_HIDUP,
    ("orang_tua", "hubungan"): HUBUNGAN_ORANG_TUA,
    ("orang_tua", "status_hidup"): STATUS_HIDUP,
    ("perumahan", "status_kepemilikan"): STATUS_KEPEMILIKAN,
    ("riwayat_golongan", "jenis_kp"): JENIS_KP,
    ("riwayat_jabatan", "eselon"): ESELON,
    ("riwayat_skp", "jenis"): JENIS_SKP,
    ("kompetensi", "jenis"): JENIS_KOMPETENSI,
    ("hukuman_disiplin", "jenis_hukuman"): JENIS_HUKUMAN,
}

# The same by record section (the workflow's and the rules' names: a table, or "data_utama"
# for `pegawai`), then field.
DATA_UTAMA = "data_utama"
CODED_FIELDS = {
    (DATA_UTAMA if table == "pegawai" else table): {c: e for (t, c), e in CODED_COLUMNS.items() if t == table}
    for table in dict.fromkeys(t for t, _c in CODED_COLUMNS)
}

_SEPARATORS = re.compile(r"[\s_./()\-:,%]+")


def normalise(value) -> str:
    """`value` as compared with codes and synonyms: trimmed, any case, and dots, slashes,
    hyphens, underscores, brackets, colons, commas, % and runs of spaces all one space
    ("IV/a" is "iv a")."""
    return _SEPARATORS.sub(" ", str(value)).strip().casefold()


def _msgid(label) -> str:
    # A lazy label's msgid (English) without a request; a plain label is itself.
    return getattr(label, "_args", (label,))[0]


def _lookup(enum: str) -> dict:
    """Normalised word -> code: synonyms first, then labels (English), then the codes."""
    table = {normalise(word): code for word, code in SYNONYMS.get(enum, {}).items()}
    for code, label in ENUMS[enum].items():
        table[normalise(_msgid(label))] = code
        table[normalise(code)] = code
    return table


_LOOKUPS = {enum: _lookup(enum) for enum in ENUMS}


def to_code(enum: str, value) -> str | None:
    """The code of `enum` that `value` means (a code, a synonym, a label; any case, trimmed),
    or None when it means none of them (or is empty). A code is returned as stored."""
    if value is None:
        return None
    if value in ENUMS[enum]:
        return value
    text = normalise(value)
    return _LOOKUPS[enum].get(text) if text else None


def is_code(enum: str, value) -> bool:
    """True when `value` is exactly one of the codes of `enum`."""
    return value in ENUMS[enum]


def label(enum: str, code):
    """The label of `code` (lazy, printed in the user's language); the value itself when it is
    not a code of `enum` (a legacy value is shown as stored, never hidden)."""
    return ENUMS[enum].get(code, code)


def choices(enum: str) -> list[tuple[str, object]]:
    """(code, label) of every code of `enum`, for a select box."""
    return list(ENUMS[enum].items())


def enum_of(table: str, column: str) -> str | None:
    """The enum of a coded column, None for a column that is not coded."""
    return CODED_COLUMNS.get((table, column))


def enum_of_field(section: str, name: str) -> str | None:
    """The enum of a field of a record section (the workflow's and the rules' names: a table,
    or "data_utama" for the `pegawai` table); None for a field that is not coded."""
    return CODED_FIELDS.get(section, {}).get(name)
