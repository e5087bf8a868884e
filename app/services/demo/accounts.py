"""One demo account per role (passwords printed by `seed-demo`), the roles they need, and the
list of the demo accounts present."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ...models import (
    Instansi,
    Pegawai,
    UnitKerja,
)
from ...roles import (
    ALL_ROLES,
    ROLE_ADMIN,
    ROLE_HELPDESK,
    ROLE_MONITOR,
    ROLE_PNS,
    ROLE_VERIFIKATOR_BKN,
    ROLE_VERIFIKATOR_INSTANSI,
    ROLE_VERIFIKATOR_SKPD,
)
from ...models import User
from .. import registration
from ..permissions import sync_roles
from .results import DemoAccount, SeedRefused
from .tables import DEMO_EMAIL_DOMAIN
from .world import INSTANSI, skpd_kode


@dataclass(frozen=True)
class _DemoUser:
    role: str
    username: str | None  # None: the NIP of the showcase Pegawai
    password: str
    first_name: str


DEMO_USERS = (
    _DemoUser(ROLE_ADMIN, "admin", "Demo-Admin-2015!", "Administrator"),
    _DemoUser(ROLE_VERIFIKATOR_SKPD, "skpd", "Demo-Skpd-2015!", "Verifikator SKPD"),
    _DemoUser(ROLE_VERIFIKATOR_INSTANSI, "instansi", "Demo-Instansi-2015!", "Verifikator Instansi"),
    _DemoUser(ROLE_VERIFIKATOR_BKN, "bkn", "Demo-Bkn-2015!", "Verifikator BKN"),
    _DemoUser(ROLE_HELPDESK, "helpdesk", "Demo-Helpdesk-2015!", "Helpdesk"),
    _DemoUser(ROLE_MONITOR, "monitor", "Demo-Monitor-2015!", "Monitor"),
    _DemoUser(ROLE_PNS, None, "Demo-Pns-2015!", "PNS"),
)


def _demo_email(demo: _DemoUser) -> str:
    # The PNS account is found again by this address, its username being a NIP.
    local = demo.username or "pns"
    return f"{local}@{DEMO_EMAIL_DOMAIN}"


def ensure_roles(appbuilder) -> None:
    """Write roles and permissions when `create-permissions` has not run yet."""
    sm = appbuilder.sm
    if any(sm.find_role(name) is None for name in ALL_ROLES):
        sync_roles(appbuilder)


def create_demo_users(session, appbuilder, showcase_pegawai_id) -> None:
    sm = appbuilder.sm
    inst = session.scalar(select(Instansi).where(Instansi.kode == INSTANSI[0].kode))
    skpd = session.scalar(select(UnitKerja).where(UnitKerja.kode == skpd_kode()))
    scopes = {
        ROLE_VERIFIKATOR_SKPD: {"instansi_id": inst.id, "unit_kerja_id": skpd.id},
        ROLE_VERIFIKATOR_INSTANSI: {"instansi_id": inst.id},
        ROLE_VERIFIKATOR_BKN: {"kanreg_id": inst.kanreg_id},
    }
    for demo in DEMO_USERS:
        email = _demo_email(demo)
        if session.scalar(select(User).where(User.email == email)) is not None:
            continue  # seeded by an earlier run; left as it is
        username, last_name, scope = demo.username, "Demo", dict(scopes.get(demo.role, {}))
        if demo.role == ROLE_PNS:
            pegawai = session.get(Pegawai, showcase_pegawai_id)
            if registration.pns_account_of(session, pegawai.id) is not None:
                continue
            username, last_name = pegawai.nip, pegawai.nama
            scope = {"pegawai_id": pegawai.id, "is_pns_account": True}
        if sm.find_user(username=username) is not None:
            continue  # an operator's own account of that name: never touched
        user = sm.add_user(
            username, demo.first_name, last_name, email, sm.find_role(demo.role), password=demo.password, commit=False
        )
        if not user:
            raise SeedRefused(_("Could not create the demo account %(username)s.", username=username))
        for key, value in scope.items():
            setattr(user, key, value)
    session.flush()


def demo_accounts(session) -> list[DemoAccount]:
    """The demo accounts present in the database, with their seeded passwords and scope."""
    accounts = []
    for demo in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == _demo_email(demo)))
        if user is None:
            continue
        if user.pegawai is not None:
            scope = f"{user.pegawai.nama} – {user.pegawai.instansi.nama}"
        elif user.unit_kerja is not None:
            scope = f"{user.unit_kerja.nama} – {user.unit_kerja.instansi.nama}"
        elif user.instansi is not None:
            scope = user.instansi.nama
        elif user.kanreg is not None:
            scope = f"Kanreg {user.kanreg.kode} {user.kanreg.nama}"
        else:
            scope = _("national (all data)")
        accounts.append(DemoAccount(demo.role, user.username, demo.password, scope))
    return accounts
