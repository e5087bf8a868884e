"""Password and secret-answer hashing (argon2id), and the password policy.

argon2id with 19 MiB of memory (OWASP's minimum) and 4 passes, twice OWASP's minimum time
cost: 40–56 ms per hash on one core of the two benchmark machines (benchmarks/RESULTS.md,
"Password hashing"). Memory stays at 19 MiB, so five workers hashing at once need under
100 MiB; more memory per hash cost more time per byte there (cache) for no more strength per
millisecond. A registration hashes three secrets (password, answer, mother's name): a
2-core host registers ~10–16 PNS per second at this cost and checks ~32–48 logins per second.
Answers and mothers' names are normalised before hashing so that "  Siti  AMINAH " matches
"siti aminah".
"""

import hmac
import re
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash

MIN_PASSWORD_LENGTH = 8
TIME_COST = 4
MEMORY_KIB = 19 * 1024
_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=1)
# A hash of a random password: checking it for unknown users keeps failures as slow as hits.
_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


def configure(time_cost: int = TIME_COST, memory_kib: int = MEMORY_KIB) -> None:
    """Set the argon2id cost of this process (config PASSWORD_HASH_*). Production keeps the
    defaults; the test suite hashes at the minimum cost, except the tests of hashing."""
    global _hasher, _DUMMY_HASH
    if (_hasher.time_cost, _hasher.memory_cost) == (time_cost, memory_kib):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _DUMMY_HASH = _hasher.hash("dummy-password-for-timing")


# The most common passwords in Indonesian leaks and global lists (lower-cased).
COMMON_PASSWORDS = frozenset(
    """
    12345678 123456789 1234567890 password password1 password123 qwerty123 qwertyuiop
    11111111 00000000 88888888 12341234 87654321 abcd1234 1q2w3e4r iloveyou sayangku
    bismillah indonesia indonesia1 jakarta123 merdeka45 garuda123 rahasia123 rahasia
    katakunci passw0rd admin123 administrator welcome1 sandi123 kepegawaian pnsindonesia
    bkn12345 pupns2015 epupns2015 asn12345 pegawai123 13579246 asdfghjkl zxcvbnm123
    """.split()
)


def normalise_answer(value: str) -> str:
    """Case, spacing and Unicode form do not matter for a security answer or a name."""
    value = unicodedata.normalize("NFKC", value or "")
    return " ".join(value.casefold().split())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; accepts argon2 and FAB's werkzeug hashes (older accounts)."""
    if not stored_hash:
        _verify_dummy()
        return False
    if stored_hash.startswith("$argon2"):
        try:
            return _hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored_hash, password)


def _verify_dummy() -> None:
    try:
        _hasher.verify(_DUMMY_HASH, "not-the-password")
    except VerifyMismatchError:
        pass


def verify_unknown_user() -> None:
    """Spend the time of one password check, so an unknown account answers as slowly."""
    _verify_dummy()


def needs_rehash(stored_hash: str) -> bool:
    return not stored_hash.startswith("$argon2") or _hasher.check_needs_rehash(stored_hash)


def hash_answer(answer: str) -> str:
    return _hasher.hash(normalise_answer(answer))


def verify_answer(stored_hash: str, answer: str) -> bool:
    try:
        return _hasher.verify(stored_hash, normalise_answer(answer))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class PasswordRefused(ValueError):
    """A new password breaks the policy; `problems` are the translatable reasons."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(" ".join(str(p) for p in self.problems))


# Digits and punctuation around a word: "admin2024!" is the user name "admin" dressed up.
_DRESSING = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def password_problems(password: str, *, nip: str | None = None, username: str | None = None) -> list[str]:
    """Why a new password is refused (translatable sentences); empty when acceptable.

    The one policy of every path that sets a password (registration, reset link, own change,
    Admin's forms, FAB's CLI): at least 8 characters, not a common or one-letter password,
    not containing the account's NIP, not the user name with digits or signs around it."""
    password = password or ""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("The password must have at least 8 characters."))
    lowered = password.casefold()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        problems.append(_l("This password is too common; choose another."))
    if nip and nip in password:
        problems.append(_l("The password must not contain your NIP."))
    elif username and username.casefold() in (lowered, _DRESSING.sub("", lowered)):
        problems.append(_l("The password must not be the user name."))
    return problems


def check_policy(password: str, *, nip: str | None = None, username: str | None = None) -> None:
    """Raise PasswordRefused when `password_problems` finds any."""
    problems = password_problems(password, nip=nip, username=username)
    if problems:
        raise PasswordRefused(problems)


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
