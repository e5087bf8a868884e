"""The history and family tables of a Pegawai (Riwayat*, Pasangan, Anak): one read-only
resource each, scoped through their Pegawai and filterable by it."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from ...models import Anak, Pasangan, RiwayatGolongan, RiwayatJabatan, RiwayatPendidikan
from .base import ReadOnlyApi


def _child_api(model, resource, title, columns, *, nik=False):
    """A read-only resource over one history/family table, scoped through its Pegawai and
    filterable by it: `q=(filters:!((col:pegawai,opr:rel_o_m,value:<pegawai id>)))`."""
    return type(
        f"{model.__name__}Api",
        (ReadOnlyApi,),
        {
            "__doc__": f"{model.__name__} rows of the Pegawai in scope.",
            "resource_name": resource,
            "datamodel": SQLAInterface(model),
            "list_title": title,
            "show_title": title,
            "openapi_spec_tag": model.__name__,
            "list_columns": ["id", "pegawai.id", "pegawai.nip", *columns, "updated_at"],
            "show_columns": ["id", "pegawai.id", "pegawai.nip", *columns, "updated_at"],
            "order_columns": ["id", "updated_at"],
            "filter_ops": {"id": ("gt", "lt"), "pegawai": ("rel_o_m",), "updated_at": ("gt", "lt")},
            "nik_columns": ("nik",) if nik else (),
        },
    )


RiwayatGolonganApi = _child_api(
    RiwayatGolongan,
    "riwayat_golongan",
    _l("Rank history"),
    [
        "golongan.kode",
        "golongan.pangkat",
        "nomor_sk",
        "tanggal_sk",
        "tmt_golongan",
        "nomor_pertek",
        "tanggal_pertek",
        "jenis_kp",
        "masa_kerja_tahun",
        "masa_kerja_bulan",
        "angka_kredit",
    ],
)
RiwayatJabatanApi = _child_api(
    RiwayatJabatan,
    "riwayat_jabatan",
    _l("Position history"),
    [
        "jenis_jabatan.nama",
        "unit_kerja_nama",
        "eselon",
        "nama_jabatan",
        "tmt_jabatan",
        "tmt_selesai",
        "nomor_sk",
        "tanggal_sk",
        "tmt_pelantikan",
    ],
)
RiwayatPendidikanApi = _child_api(
    RiwayatPendidikan,
    "riwayat_pendidikan",
    _l("Education history"),
    [
        "tingkat_pendidikan.nama",
        "jurusan",
        "nama_sekolah",
        "tahun_lulus",
        "tanggal_lulus",
        "nomor_ijazah",
        "gelar_depan",
        "gelar_belakang",
        "pendidikan_pertama",
    ],
)
PasanganApi = _child_api(
    Pasangan,
    "pasangan",
    _l("Spouses"),
    [
        "nama",
        "nik",
        "tempat_lahir",
        "tanggal_lahir",
        "status_hidup",
        "tanggal_menikah",
        "akta_menikah",
        "tanggal_cerai",
        "akta_cerai",
        "no_karis_karsu",
        "is_pns",
        "nip",
    ],
    nik=True,
)
AnakApi = _child_api(
    Anak,
    "anak",
    _l("Children"),
    [
        "nama",
        "nik",
        "tempat_lahir",
        "tanggal_lahir",
        "jenis_kelamin",
        "status_anak",
        "status_hidup",
        "tingkat_pendidikan.nama",
        "nama_sekolah",
    ],
    nik=True,
)
