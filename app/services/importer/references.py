"""Reference tables by the names and codes agency files use (religion, golongan "III/a", …).

Loaded once per import; a cell is matched by `cells.name_key` (spacing and case do not
count), a golongan by its code without spaces ("iii / a" is "III/a").
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...models import Agama, Golongan, Instansi, JenisDiklat, JenisJabatan, Kanreg, StatusPerkawinan, TingkatPendidikan
from ..reference_data import PENDIDIKAN_ALIASES
from .cells import name_key
from .files import ImportFileError


class ReferenceLookup:
    """Reference tables by the names agency files use, loaded once per import."""

    def __init__(self, session):
        def by_name(model):
            return {name_key(row.nama): row.id for row in session.scalars(select(model))}

        self.agama = by_name(Agama)
        self.agama_names = ", ".join(session.scalars(select(Agama.nama).order_by(Agama.id)))
        self.status_perkawinan = by_name(StatusPerkawinan)
        self.status_perkawinan_names = ", ".join(
            session.scalars(select(StatusPerkawinan.nama).order_by(StatusPerkawinan.id))
        )
        self.golongan = {self.golongan_key(g.kode): g.id for g in session.scalars(select(Golongan))}
        self.pendidikan = by_name(TingkatPendidikan)
        for alias, target in PENDIDIKAN_ALIASES.items():
            if name_key(target) in self.pendidikan:
                self.pendidikan.setdefault(name_key(alias), self.pendidikan[name_key(target)])
        # History and family sheets also take the SIASN code of a level ("40" is S-1).
        self.pendidikan_or_code = {
            **self.pendidikan,
            **{name_key(t.kode): t.id for t in session.scalars(select(TingkatPendidikan))},
        }
        self.jenis_jabatan = by_name(JenisJabatan)
        self.jenis_jabatan_names = ", ".join(session.scalars(select(JenisJabatan.nama).order_by(JenisJabatan.id)))
        self.jenis_diklat = by_name(JenisDiklat)
        self.jenis_diklat_names = ", ".join(session.scalars(select(JenisDiklat.nama).order_by(JenisDiklat.id)))

    @staticmethod
    def golongan_key(text: str) -> str:
        return "".join(text.split()).upper()  # "iii / a" == "III/a"


def kanreg_id_for(session, kode) -> int | None:
    """The id of the Kanreg with code `kode` (e.g. "V"), None for no code; unknown → error."""
    if not kode:
        return None
    found = session.scalar(select(Kanreg.id).where(Kanreg.kode == kode.strip().upper()))
    if found is None:
        raise ImportFileError(_l("Unknown Kanreg %(kode)s; use a code from I to XIV.", kode=kode))
    return found


def instansi_id_for(session, kode) -> int | None:
    """The id of the instansi with code `kode`, None for no code; unknown → `ImportFileError`."""
    if not kode:
        return None
    found = session.scalar(select(Instansi.id).where(Instansi.kode == kode.strip()))
    if found is None:
        raise ImportFileError(_l("Unknown instansi %(kode)s.", kode=kode))
    return found
