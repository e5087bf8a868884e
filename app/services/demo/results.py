"""What a demo seed reports: the accounts it made, its counts, and its refusal."""

from dataclasses import dataclass


class SeedRefused(RuntimeError):
    """The demo seed cannot run on this database; the message is for the operator."""


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    password: str
    scope: str


@dataclass
class SeedStats:
    pegawai: int = 0
    history_rows: int = 0
    instansi_created: int = 0
    units_created: int = 0
    showcase_pegawai_id: int | None = None


@dataclass
class DemoResult:
    accounts: list[DemoAccount]
    stats: SeedStats
    seconds: float
