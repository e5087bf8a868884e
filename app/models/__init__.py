"""Domain models. Importing this package registers every table on FAB's metadata."""

from .base import Model, utcnow  # noqa: F401
from .employee import Dokumen, Pegawai  # noqa: F401
from .family import Anak, OrangTua, Pasangan, Perumahan  # noqa: F401
from .history import (  # noqa: F401
    HukumanDisiplin,
    Kompetensi,
    Organisasi,
    Penghargaan,
    RiwayatDiklat,
    RiwayatGolongan,
    RiwayatJabatan,
    RiwayatPendidikan,
    RiwayatSkp,
)
from .org import Instansi, Kanreg, UnitKerja  # noqa: F401
from .user import User  # noqa: F401 - first: others relate to it
from .audit import AuditLog, OutboxMail  # noqa: F401
from .registration import CaptchaChallenge, PasswordResetToken, Registrasi  # noqa: F401
from .schedule import Jadwal  # noqa: F401
from .notification import Pesan  # noqa: F401
from .monitoring import RekapAntrian, RekapRefresh, RekapUnit  # noqa: F401
from .data_quality import DataQualityCount, DataQualityFinding, DataQualityRun  # noqa: F401
from .submission import RecordChange, Usulan, UsulanEvent, UsulanItem, UsulanSection  # noqa: F401
from .ticket import Tiket  # noqa: F401
from .reference import (  # noqa: F401
    Agama,
    Golongan,
    JenisDiklat,
    JenisJabatan,
    SecurityQuestion,
    StatusPerkawinan,
    TingkatPendidikan,
)

# History and family tables, in the order they appear on a Pegawai's page.
PEGAWAI_CHILD_MODELS = (
    RiwayatGolongan,
    RiwayatJabatan,
    RiwayatPendidikan,
    RiwayatDiklat,
    Penghargaan,
    RiwayatSkp,
    HukumanDisiplin,
    Organisasi,
    Kompetensi,
    Pasangan,
    Anak,
    OrangTua,
    Perumahan,
)
