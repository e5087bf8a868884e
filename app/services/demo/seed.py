"""The entry points of the demo seed: `seed_records` (reference data, organisation, people)
and `seed_demo` (that, demo accounts, demo progress and schedule, committed)."""

import bisect
import datetime as dt
import itertools
import time

from flask import current_app
from sqlalchemy import func, select

from ...models import (
    Pegawai,
)
from ...models.schedule import Jadwal
from .. import data_quality, monitoring
from ..reference_data import load_reference_data
from .accounts import create_demo_users, demo_accounts, ensure_roles
from .people import PeopleGenerator
from .progress import seed_progress
from .results import DemoResult, SeedStats
from .tables import AS_OF, DEFAULT_PEGAWAI, DEFAULT_SEED, DEMO_EMAIL_DOMAIN, FLUSH_EVERY
from .world import DEMO_SKPD_UNIT, ensure_organisation, first_leaf


def has_pegawai(session) -> bool:
    """True when the database already holds at least one Pegawai."""
    return session.execute(select(Pegawai.id).limit(1)).first() is not None


def seed_records(
    session, pegawai_count: int = DEFAULT_PEGAWAI, seed: int = DEFAULT_SEED, as_of: dt.date = AS_OF
) -> SeedStats:
    """Reference data, the demo organisation and `pegawai_count` Pegawai with history and
    family, flushed in batches. Does not commit (see `seed_demo`)."""
    stats = SeedStats()
    load_reference_data(session)
    specs = ensure_organisation(session, stats)
    gen = PeopleGenerator(session, seed, as_of)
    instansi_cum = list(itertools.accumulate(spec.weight for spec in specs))
    unit_cum = {spec.kode: list(itertools.accumulate(u.weight for u in spec.flat_units)) for spec in specs}
    skpd_unit = next(u for u in specs[0].flat_units if u.nama == DEMO_SKPD_UNIT)
    # Pegawai #1 is the showcase record behind the demo PNS account: a PNS teacher inside
    # the Verifikator SKPD's subtree, with spouse, children and parents.
    showcase = None
    batch = []
    for index in range(pegawai_count):
        if index == 0:
            pegawai, rows = gen.pegawai(first_leaf(skpd_unit), status=Pegawai.STATUS_PNS, career="guru", family=True)
            showcase = pegawai
        else:
            spec = specs[bisect.bisect_right(instansi_cum, gen.rng.random() * instansi_cum[-1])]
            cum = unit_cum[spec.kode]
            unit = spec.flat_units[bisect.bisect_right(cum, gen.rng.random() * cum[-1])]
            pegawai, rows = gen.pegawai(unit)
        batch.append(pegawai)
        batch.extend(rows)
        stats.pegawai += 1
        stats.history_rows += len(rows)
        if len(batch) >= FLUSH_EVERY:
            session.add_all(batch)
            session.flush()
            batch = []
    session.add_all(batch)
    session.flush()
    stats.showcase_pegawai_id = showcase.id if showcase is not None else None
    return stats


def _ensure_demo_schedule(session, today: dt.date) -> None:
    """A national schedule with today inside the filling phase, unless Admin set one."""
    if session.execute(select(Jadwal.id).limit(1)).first() is not None:
        return
    filling_start = today - dt.timedelta(days=30)
    filling_end = today + dt.timedelta(days=60)
    session.add_all(
        [
            Jadwal(
                fase=Jadwal.FASE_PERSIAPAN,
                mulai=filling_start - dt.timedelta(days=30),
                selesai=filling_start - dt.timedelta(days=1),
            ),
            Jadwal(fase=Jadwal.FASE_PENGISIAN, mulai=filling_start, selesai=filling_end),
            Jadwal(
                fase=Jadwal.FASE_VERIFIKASI,
                mulai=filling_end + dt.timedelta(days=1),
                selesai=filling_end + dt.timedelta(days=30),
            ),
        ]
    )


def seed_demo(
    session, pegawai_count: int = DEFAULT_PEGAWAI, seed: int = DEFAULT_SEED, *, appbuilder=None, as_of: dt.date = AS_OF
) -> DemoResult:
    """Seed the demo organisation, `pegawai_count` Pegawai with history and one demo account
    per role, and commit. Creates the roles first when `create-permissions` never ran."""
    appbuilder = appbuilder or current_app.appbuilder
    started = time.perf_counter()
    ensure_roles(appbuilder)
    try:
        stats = seed_records(session, pegawai_count, seed, as_of)
        create_demo_users(session, appbuilder, stats.showcase_pegawai_id)
        # Registrations and submissions in every stage: the dashboard and inboxes show something.
        seed_progress(
            session,
            appbuilder.sm,
            seed=seed,
            email_domain=DEMO_EMAIL_DOMAIN,
            showcase_pegawai_id=stats.showcase_pegawai_id,
        )
        # The data is dated AS_OF, but the demo runs today: open the filling phase now.
        _ensure_demo_schedule(session, dt.date.today())
        session.commit()
    except Exception:
        session.rollback()
        raise
    monitoring.refresh(session)
    # The demo's data-quality report (Monitoring → Kualitas Data) is there from the start.
    data_quality.refresh(session)
    return DemoResult(demo_accounts(session), stats, time.perf_counter() - started)


def count_pegawai(session) -> int:
    """Number of Pegawai in the database."""
    return session.scalar(select(func.count(Pegawai.id)))
