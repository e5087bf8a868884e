"""The demo world for `flask --app run pupns seed-demo` (never for a production database).

Builds a small but realistic slice of the Indonesian civil service as it stood when the 2015
e-PUPNS portal opened (`AS_OF`): six instansi in four Kanreg with unit trees, a few thousand
Pegawai whose NIP and NIK agree with their birth date, gender and TMT CPNS, their career
history (golongan, jabatan, pendidikan, diklat) and family, and one demo account per role.

Everything is drawn from one seed, so the same seed on an empty database gives the same
people. Every record passes `rules.check_pegawai`; histories pass the history rules.
The national reference tables production needs are not here: `services/reference_data.py`.

Rooms: seed (entry points), world (instansi and unit trees), people, careers and family
(the Faker employees), accounts (demo users), progress (registrations and submissions in
every stage), tables (the weighted choices), results.
"""

from .accounts import DEMO_USERS, create_demo_users, demo_accounts, ensure_roles
from .people import PeopleGenerator
from .progress import PROGRESS_LIMIT, seed_progress
from .results import DemoAccount, DemoResult, SeedRefused, SeedStats
from .seed import count_pegawai, has_pegawai, seed_demo, seed_records
from .tables import AS_OF, DEFAULT_PEGAWAI, DEFAULT_SEED, DEMO_EMAIL_DOMAIN, DEMO_URL, FLUSH_EVERY
from .world import DEMO_SKPD_UNIT, INSTANSI, REGIONS, InstansiSpec, UnitSpec, ensure_organisation

__all__ = [
    "AS_OF",
    "DEFAULT_PEGAWAI",
    "DEFAULT_SEED",
    "DEMO_EMAIL_DOMAIN",
    "DEMO_SKPD_UNIT",
    "DEMO_URL",
    "DEMO_USERS",
    "FLUSH_EVERY",
    "INSTANSI",
    "PROGRESS_LIMIT",
    "REGIONS",
    "DemoAccount",
    "DemoResult",
    "InstansiSpec",
    "PeopleGenerator",
    "SeedRefused",
    "SeedStats",
    "UnitSpec",
    "count_pegawai",
    "create_demo_users",
    "demo_accounts",
    "ensure_organisation",
    "ensure_roles",
    "has_pegawai",
    "seed_demo",
    "seed_progress",
    "seed_records",
]
