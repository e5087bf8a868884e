"""Retirement: the age limit (BUP) of a PNS's position and the TMT pensiun it gives.

PP 11/2017 (art. 239): 58 years for administrative posts and for functional posts below ahli
madya, 60 for senior executives (JPT, eselon I–II) and ahli madya, 65 for ahli utama; posts
whose own law sets the age keep it (teachers 60, lecturers 65, professors 70). Retirement takes
effect on the first day of the month after the birthday on which the limit is reached.
"""

import datetime as dt

from flask_babel import lazy_gettext as _l

from ...models import Pegawai
from .core import WARNING, add_years, as_date, rule

DEFAULT_BUP = 58
ACTIVE_STATUSES = Pegawai.ACTIVE_STATUSES
JPT_ESELON_PREFIXES = ("I.", "II.")
# Words of a functional post's name (lower case) and the age limit they carry; the first
# that matches wins, so the more specific come first.
FUNCTIONAL_BUP = (
    ("guru besar", 70),
    ("profesor", 70),
    ("dosen", 65),
    ("ahli utama", 65),
    ("ahli madya", 60),
    ("guru", 60),
)
FUNCTIONAL_KIND = "fungsional tertentu"
STRUCTURAL_KIND = "struktural"

_past_bup = rule(
    "pensiun.past_bup",
    "pensiun",
    WARNING,
    _l("the PNS has passed the retirement age of his position and is still active."),
)


def bup_years(jenis_jabatan_nama=None, jabatan_nama=None, eselon=None) -> int:
    """The retirement age (years) of a position from its kind, name and eselon."""
    kind = (jenis_jabatan_nama or "").strip().lower()
    name = (jabatan_nama or "").strip().lower()
    if kind == STRUCTURAL_KIND and (eselon or "").strip().upper().startswith(JPT_ESELON_PREFIXES):
        return 60
    if kind == FUNCTIONAL_KIND or any(word in name for word, _ in FUNCTIONAL_BUP[:3]):
        for word, years in FUNCTIONAL_BUP:
            if word in name:
                return years
    return DEFAULT_BUP


def pensiun_date(tanggal_lahir, jenis_jabatan_nama=None, jabatan_nama=None, eselon=None):
    """TMT pensiun: the 1st of the month after the birthday at the BUP (None without a birth date)."""
    born = as_date(tanggal_lahir)
    if born is None:
        return None
    reached = add_years(born, bup_years(jenis_jabatan_nama, jabatan_nama, eselon))
    return dt.date(reached.year + reached.month // 12, reached.month % 12 + 1, 1)


def check_pensiun(utama: dict, jenis_jabatan_nama=None, eselon=None, today=None) -> list:
    """An active PNS past his TMT pensiun: possible (an extension, a record not yet updated)
    but worth the verifier's eye."""
    today = today or dt.date.today()
    if utama.get("status") not in ACTIVE_STATUSES:
        return []
    due = pensiun_date(utama.get("tanggal_lahir"), jenis_jabatan_nama, utama.get("jabatan"), eselon)
    if due is not None and today >= due:
        return [
            _past_bup(
                "tanggal_lahir",
                _l(
                    "reached the retirement age on %(day)s (TMT pensiun); the PNS is still active.",
                    day=due.strftime("%d-%m-%Y"),
                ),
            )
        ]
    return []
