"""API keys of integration clients (BPJS, Taspen, an instansi's own HR system).

A key is a random 32-byte token, shown once when it is made; only its SHA-256 is stored.
A 256-bit random secret cannot be guessed, so a slow hash would add nothing but cost on
every API call. The key acts as its owner: his roles give the permissions, his scope
(services.scope) the records. Keys live in Flask-AppBuilder's own `ab_api_key` table; FAB's
key code (`FAB_API_KEY_ENABLED`) stays off — it runs scrypt on every call, keys the lookup to
SECRET_KEY (rotating the secret would void every key) and stores local time, not UTC.
"""

import datetime as dt
import hashlib
import secrets

from flask_appbuilder.security.sqla.models import ApiKey
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..models import User, utcnow
from ..roles import ROLE_INTEGRASI
from . import audit

# The public marker every key starts with, not a secret.
TOKEN_PREFIX = "pupns_"  # nosec B105
TOKEN_BYTES = 32
# What the Admin list shows of a token to tell keys apart (FAB's column holds 16 characters).
SHOWN_PREFIX_LENGTH = 12
NAME_MAX_LENGTH = 100
# A busy client writes last_used_on at most once a minute, not on every call.
LAST_USED_EVERY = dt.timedelta(minutes=1)

ACTIVE = "active"
REVOKED = "revoked"
EXPIRED = "expired"
STATUS_LABELS = {ACTIVE: _l("Active"), REVOKED: _l("Revoked"), EXPIRED: _l("Expired")}


class KeyRefused(Exception):
    """The key cannot be made as asked; `message` says why, for the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def hash_token(token: str) -> str:
    """Hex SHA-256 of a presented token: what `lookup_hash` holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def status(key: ApiKey, now: dt.datetime | None = None) -> str:
    """ACTIVE, REVOKED or EXPIRED (times are naive UTC)."""
    if key.revoked_on is not None or not key.active:
        return REVOKED
    if key.expires_on is not None and key.expires_on <= (now or utcnow()):
        return EXPIRED
    return ACTIVE


def may_own_keys(user) -> bool:
    """Only accounts of the Integrasi role hold keys: a person's staff account never does."""
    return user is not None and user.is_active and user.has_role(ROLE_INTEGRASI)


def create(session, owner, name: str, *, expires_on: dt.datetime | None = None, actor=None) -> tuple[ApiKey, str]:
    """Make a key for `owner`; returns the row and the token (shown once, never stored)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise KeyRefused(_l("Give the key a name of at most %(max)d characters.", max=NAME_MAX_LENGTH))
    if not may_own_keys(owner):
        raise KeyRefused(_l("API keys are only issued to active accounts with the Integrasi role."))
    if expires_on is not None and expires_on <= utcnow():
        raise KeyRefused(_l("The expiry date must be in the future."))
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    digest = hash_token(token)
    key = ApiKey(
        name=name,
        key_hash=f"sha256${digest}",
        lookup_hash=digest,
        key_prefix=token[:SHOWN_PREFIX_LENGTH],
        user_id=owner.id,
        active=True,
        created_on=utcnow(),
        expires_on=expires_on,
    )
    session.add(key)
    session.flush()
    audit.record(
        session, "apikey.create", actor=actor, target=key, detail=f"{name} ({key.key_prefix}…) for {owner.username}"
    )
    session.commit()
    return key, token


def authenticate(session, token: str):
    """The owner of an active key matching `token`, or None. Notes the use (throttled)."""
    if not token or len(token) > 200 or not token.isascii():
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.lookup_hash == hash_token(token)))
    if key is None or status(key) != ACTIVE:
        return None
    owner = session.get(User, key.user_id)
    if owner is None or not owner.is_active:
        return None
    now = utcnow()
    if key.last_used_on is None or now - key.last_used_on >= LAST_USED_EVERY:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_on=now))
        session.commit()
    return owner


def revoke(session, key: ApiKey, *, actor=None) -> bool:
    """Revoke `key` for good; False when it already was."""
    if key.revoked_on is not None:
        return False
    key.revoked_on = utcnow()
    key.active = False
    audit.record(session, "apikey.revoke", actor=actor, target=key, detail=f"{key.name} ({key.key_prefix}…)")
    session.commit()
    return True
