"""Demo progress for `seed-demo`: registrations and submissions in every stage, so the
monitoring dashboard, the approval and verification inboxes of the demo are not empty.

Demo data only (never a production path): rows are written directly, as if the PNS had
registered and the verifiers had acted weeks ago — every registration an account, every
sent submission its events, a finished one applied to the official record by
`workflow.apply` (with its RecordChange rows). The demo PNS accounts made here cannot sign
in (one random password, never shown); only the showcase PNS of the demo accounts can.
At most PROGRESS_LIMIT PNS get a stage, so `seed-demo` stays fast at any size.
"""

import datetime as dt
import json
import random
import secrets
from dataclasses import dataclass

from sqlalchemy import exists, select

from ...models import Pegawai, SecurityQuestion, utcnow
from ...models.registration import Registrasi
from ...models.submission import Usulan, UsulanEvent, UsulanItem, UsulanSection
from ...models import User
from ...roles import ROLE_PNS
from .. import passwords, registration, workflow

PROGRESS_LIMIT = 5_000
# Stage of each PNS (weights in percent); "draft" is approved with a draft not sent yet.
STAGES = (
    ("belum_daftar", 25),
    ("menunggu", 8),
    ("belum_kirim", 15),
    ("draft", 5),
    ("dikembalikan", 5),
    (Usulan.DI_SKPD, 12),
    (Usulan.DI_INSTANSI, 8),
    (Usulan.DI_BKN, 4),
    (Usulan.SELESAI, 18),
)
_REACHED = {  # the statuses a submission passed through to reach its stage, after draft
    "dikembalikan": (Usulan.DI_SKPD,),
    Usulan.DI_SKPD: (Usulan.DI_SKPD,),
    Usulan.DI_INSTANSI: (Usulan.DI_SKPD, Usulan.DI_INSTANSI),
    Usulan.DI_BKN: (Usulan.DI_SKPD, Usulan.DI_INSTANSI, Usulan.DI_BKN),
    Usulan.SELESAI: (Usulan.DI_SKPD, Usulan.DI_INSTANSI, Usulan.SELESAI),
}
_LEVEL_OF = {Usulan.DI_SKPD: "skpd", Usulan.DI_INSTANSI: "instansi", Usulan.DI_BKN: "bkn"}
_VERIFIER_NAME = {"skpd": "Verifikator SKPD", "instansi": "Verifikator Instansi", "bkn": "Verifikator BKN"}
RETURN_REASON = "BTS — scan SK tidak terbaca, unggah ulang dengan jelas"


@dataclass
class ProgressStats:
    registrations: int = 0
    submissions: int = 0


def _dump(values: dict) -> str:
    return json.dumps({k: workflow.encode(v) for k, v in values.items()}, sort_keys=True)


class _Progress:
    def __init__(self, session, sm, seed, now, email_domain):
        self.session, self.now, self.email_domain = session, now, email_domain
        # Reproducible demo data from a seed, not secrets: a seeded PRNG is the point.
        self.rng = random.Random(seed + 1)  # nosec B311
        self.role = sm.find_role(ROLE_PNS)
        self.question_id = session.scalar(select(SecurityQuestion.id).order_by(SecurityQuestion.id))
        # One slow hash each for every demo registration: the seed stays fast.
        self.password = passwords.hash_password(secrets.token_urlsafe(24))
        self.answer = passwords.hash_answer(secrets.token_urlsafe(12))
        self.stats = ProgressStats()
        self.finished = []  # applied to the official record once everything is written

    def ago(self, low_days, high_days):
        return self.now - dt.timedelta(seconds=self.rng.uniform(low_days * 86400, high_days * 86400))

    def register(self, pegawai, approved, user=None):
        created = self.ago(20, 29)
        if user is None:
            user = User(
                username=pegawai.nip,
                first_name=pegawai.nama[:64],
                last_name="",
                email=registration.pns_account_email(pegawai.nip),
                pegawai_id=pegawai.id,
                is_pns_account=True,
                password=self.password,
                roles=[self.role],
            )
        user.active = approved
        self.session.add(
            Registrasi(
                nomor=registration.new_nomor(),
                pegawai_id=pegawai.id,
                instansi_id=pegawai.instansi_id,
                user=user,
                email=f"{pegawai.nip}@{self.email_domain}",
                status=Registrasi.STATUS_DISETUJUI if approved else Registrasi.STATUS_MENUNGGU,
                security_question_id=self.question_id,
                answer_hash=self.answer,
                mother_name_hash=self.answer,
                decided_at=created + dt.timedelta(hours=self.rng.uniform(2, 72)) if approved else None,
                created_at=created,
                updated_at=created,
            )
        )
        self.stats.registrations += 1
        return user

    def submit(self, pegawai, user, stage):
        """A submission of `pegawai` that reached `stage`, with its events."""
        reached = _REACHED.get(stage, ())
        if stage == Usulan.DI_BKN and "U" in pegawai.nama:
            values = {"nama": pegawai.nama.replace("U", "OE", 1)}  # old spelling, as on the birth certificate
        else:
            values = {"no_hp": f"08{self.rng.randint(11, 59)}{self.rng.randint(10_000_000, 99_999_999)}"}
        if stage == Usulan.DI_BKN and "nama" not in values:
            reached = _REACHED[Usulan.DI_INSTANSI]  # nothing for BKN to see: it waits at Instansi
        status = {"draft": Usulan.DRAFT, "dikembalikan": Usulan.DRAFT}.get(stage, reached[-1] if reached else stage)
        sent = self.ago(3, 18) if reached else None
        usulan = Usulan(
            pegawai_id=pegawai.id,
            status=status,
            instansi_id=pegawai.instansi_id,
            unit_kerja_id=pegawai.unit_kerja_id,
            base_record_version=pegawai.record_version,
            base_json=_dump(workflow.row_values(workflow.DATA_UTAMA, pegawai)),
            needs_bkn="nama" in values,
            submitted_at=sent,
            created_at=(sent or self.now) - dt.timedelta(days=1),
            updated_at=sent or self.now,
        )
        item = UsulanItem(
            section=workflow.DATA_UTAMA,
            operation=UsulanItem.OP_CHANGE,
            target_id=pegawai.id,
            values_json=_dump(values),
            official_json=_dump({k: getattr(pegawai, k) for k in values}),
        )
        usulan.items.append(item)
        if status == Usulan.DRAFT:  # the "sudah diperiksa" marks matter to a draft only
            reviewed = workflow.SECTIONS if reached else workflow.SECTIONS[1:4]
            usulan.sections.extend(UsulanSection(section=s, reviewed_at=usulan.created_at) for s in reviewed)
        self.session.add(usulan)
        if reached:
            at = sent
            self.event(usulan, user, "pns", Usulan.DRAFT, reached[0], workflow.KIRIM, at)
            for before, after in zip(reached, reached[1:], strict=False):
                at += dt.timedelta(hours=self.rng.uniform(4, 96))
                self.event(usulan, None, _LEVEL_OF[before], before, after, workflow.VERIFIKASI, at)
            if stage == "dikembalikan":
                at += dt.timedelta(hours=self.rng.uniform(4, 72))
                item.verdict, item.verdict_reason, item.verdict_level = UsulanItem.TIDAK_SESUAI, "BTS", "skpd"
                item.verdict_note, item.verdict_at = RETURN_REASON, at
                next(s for s in usulan.sections if s.section == workflow.DATA_UTAMA).reviewed_at = None
                self.event(usulan, None, "skpd", Usulan.DI_SKPD, Usulan.DRAFT, workflow.KEMBALIKAN, at, RETURN_REASON)
            if status == Usulan.SELESAI:
                usulan.finished_at = at
                self.finished.append(usulan)
        self.stats.submissions += 1

    def event(self, usulan, user, level, from_status, to_status, action, at, reason=None):
        usulan.events.append(
            UsulanEvent(
                actor=user,
                actor_name=user.username if user is not None else f"{_VERIFIER_NAME[level]} (demo)",
                level=level,
                from_status=from_status,
                to_status=to_status,
                action=action,
                reason=reason,
                created_at=at,
            )
        )


def seed_progress(
    session, sm, *, seed: int, showcase_pegawai_id: int | None, email_domain: str, limit: int = PROGRESS_LIMIT
) -> ProgressStats:
    """Give up to `limit` active PNS without any registration, submission or account a
    stage (STAGES); the showcase PNS gets an approved registration for his demo account and
    nothing else. Flushes, does not commit (seed.seed_demo does)."""
    # What the seed wrote so far is flushed; forgetting its objects keeps every later flush
    # (one per applied submission) from walking tens of thousands of history rows.
    session.flush()
    session.expunge_all()
    progress = _Progress(session, sm, seed, utcnow(), email_domain)
    candidates = session.scalars(
        select(Pegawai)
        .where(
            Pegawai.status.in_(Pegawai.ACTIVE_STATUSES),
            ~exists().where(Registrasi.pegawai_id == Pegawai.id),
            ~exists().where(Usulan.pegawai_id == Pegawai.id),
        )
        .order_by(Pegawai.id)
        .limit(limit)
    ).all()
    accounts = dict(session.execute(select(User.pegawai_id, User.id).where(User.is_pns_account.is_(True))).all())
    names, weights = [name for name, _ in STAGES], [weight for _, weight in STAGES]
    for pegawai in candidates:
        if pegawai.id == showcase_pegawai_id:
            if pegawai.id in accounts:
                progress.register(pegawai, True, session.get(User, accounts[pegawai.id]))
            continue
        if pegawai.id in accounts:
            continue  # someone's own account: left alone
        stage = progress.rng.choices(names, weights)[0]
        if stage == "belum_daftar":
            continue
        user = progress.register(pegawai, stage != "menunggu")
        # Without a unit a submission skips the SKPD: such PNS keep to the registration here.
        if stage not in ("menunggu", "belum_kirim") and pegawai.unit_kerja_id is not None:
            progress.submit(pegawai, user, stage)
    session.flush()
    finished = [usulan.id for usulan in progress.finished]
    session.expunge_all()
    for usulan_id in finished:
        workflow.apply(session, session.get(Usulan, usulan_id), None)  # flushes
        session.expunge_all()  # each flush walks the identity map: keep it small
    return progress.stats
