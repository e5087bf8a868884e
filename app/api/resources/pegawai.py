"""PegawaiApi: the official record ("data utama") of every PNS in the caller's scope.

"Official" means it only ever holds master data (BKN's records, imports) and changes that
finished verification (services.workflow.apply); drafts and submissions still travelling are
never shown. `tanggal_verifikasi` tells when the latest e-PUPNS submission of that PNS was
applied (null when he has none yet), so a client wanting only re-verified records can tell.
"""

import datetime as dt

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...extensions import db
from ...models import Pegawai
from ...models.submission import Usulan
from .base import ReadOnlyApi
from .converter import utc_datetime_field


class PegawaiApi(ReadOnlyApi):
    """The official record ("data utama") of every PNS in scope."""

    resource_name = "pegawai"
    datamodel = SQLAInterface(Pegawai)
    list_title = show_title = _l("Employee data")
    openapi_spec_tag = "Pegawai"
    list_columns = show_columns = [
        "id",
        "nip",
        "nip_lama",
        "nik",
        "nama",
        "gelar_depan",
        "gelar_belakang",
        "tempat_lahir",
        "tanggal_lahir",
        "jenis_kelamin",
        "agama.nama",
        "status_perkawinan.nama",
        "alamat",
        "kode_pos",
        "no_hp",
        "email",
        "npwp",
        "no_bpjs",
        "no_taspen",
        "no_karpeg",
        "instansi.id",
        "instansi.kode",
        "instansi.nama",
        "unit_kerja.id",
        "unit_kerja.kode",
        "unit_kerja.nama",
        "status",
        "tmt_cpns",
        "sk_cpns_nomor",
        "sk_cpns_tanggal",
        "tmt_pns",
        "sk_pns_nomor",
        "sk_pns_tanggal",
        "golongan.kode",
        "golongan.pangkat",
        "tmt_golongan",
        "jenis_jabatan.nama",
        "jabatan",
        "tmt_jabatan",
        "pendidikan_terakhir.nama",
        "record_version",
        "updated_at",
    ]
    order_columns = ["id", "nip", "nama", "tanggal_lahir", "updated_at"]
    filter_ops = {
        "id": ("gt", "lt"),
        "nip": ("eq", "in"),
        "nik": ("eq", "in"),
        "nama": ("sw", "ct", "eq"),
        "status": ("eq", "in"),
        "jenis_kelamin": ("eq",),
        "tanggal_lahir": ("eq", "gt", "lt"),
        "instansi": ("rel_o_m",),
        "unit_kerja": ("rel_o_m",),
        "golongan": ("rel_o_m",),
        "updated_at": ("gt", "lt"),
    }
    nik_columns = ("nik",)

    def _init_model_schemas(self):
        super()._init_model_schemas()
        # tanggal_verifikasi is no column: pre_get*/_add_verification fill it for a page at once.
        for attr in ("list_model_schema", "show_model_schema"):
            base = type(getattr(self, attr))
            meta = type("Meta", (base.Meta,), {"fields": (*base.Meta.fields, "tanggal_verifikasi")})
            # Same class name: FAB names the OpenAPI components after "MetaSchema" + Meta.
            extended = type(
                base.__name__,
                (base,),
                {
                    "Meta": meta,
                    "tanggal_verifikasi": utc_datetime_field(allow_none=True),
                },
            )
            setattr(self, attr, extended())

    def _add_verification(self, rows):
        ids = [row["id"] for row in rows if "id" in row]
        finished = (
            dict(
                db.session.execute(
                    select(Usulan.pegawai_id, func.max(Usulan.finished_at))
                    .where(Usulan.pegawai_id.in_(ids), Usulan.status == Usulan.SELESAI)
                    .group_by(Usulan.pegawai_id)
                ).all()
            )
            if ids
            else {}
        )
        for row in rows:
            when = finished.get(row.get("id"))
            row["tanggal_verifikasi"] = when.replace(tzinfo=dt.timezone.utc).isoformat() if when else None

    def pre_get(self, data):
        super().pre_get(data)
        self._add_verification([data["result"]])

    def pre_get_list(self, data):
        super().pre_get_list(data)
        self._add_verification(data["result"])
