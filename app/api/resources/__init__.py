"""Read-only REST resources over the official records: Pegawai and some of its history.

Every official record in the caller's scope is listed (pegawai: what "official" means).
Each resource is a FAB ModelRestApi limited to GET (`_info`, list, one item); the package is
split by concern:

- arguments: the `q` argument — Rison/JSON parsing, its strict JSON Schemas, paging bounds.
- scope: what a caller may read and filter — the ScopeFilter, NIK rules, filter values.
- converter: how columns become response fields (numbers, UTC times, nullable relations).
- base: ReadOnlyApi, the base of every resource (auth, routes, paging, error shape).
- pegawai: PegawaiApi, the official record of a PNS.
- history: the Riwayat*, Pasangan and Anak resources.
"""

from .base import API_VERSION, ReadOnlyApi
from .history import AnakApi, PasanganApi, RiwayatGolonganApi, RiwayatJabatanApi, RiwayatPendidikanApi
from .pegawai import PegawaiApi

API_CLASSES = (PegawaiApi, RiwayatGolonganApi, RiwayatJabatanApi, RiwayatPendidikanApi, PasanganApi, AnakApi)

__all__ = [
    "API_CLASSES",
    "API_VERSION",
    "AnakApi",
    "PasanganApi",
    "PegawaiApi",
    "ReadOnlyApi",
    "RiwayatGolonganApi",
    "RiwayatJabatanApi",
    "RiwayatPendidikanApi",
]
