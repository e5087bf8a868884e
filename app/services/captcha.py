"""Offline image captcha ("Kode Captcha").

The answer never leaves the server in clear: the challenge row keeps an HMAC of it
(keyed with SECRET_KEY), so any app host can check it; a challenge is single use and
expires after a few minutes.
"""
import datetime as dt
import hashlib
import hmac
import io
import secrets

from captcha.image import ImageCaptcha
from flask import current_app
from sqlalchemy import delete, update

from ..models import utcnow
from ..models.registration import CaptchaChallenge

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: nothing a tired eye confuses.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 5
LIFETIME = dt.timedelta(minutes=10)


def _digest(answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, answer.strip().upper().encode(), hashlib.sha256).hexdigest()


def new_challenge(session) -> tuple[str, str]:
    """Create a challenge; returns (challenge id, answer). Commits (its own short transaction)."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    challenge = CaptchaChallenge(
        id=secrets.token_hex(16), answer_hash=_digest(answer), expires_at=utcnow() + LIFETIME
    )
    session.add(challenge)
    # Expired challenges are dead weight: drop them as we go.
    session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.expires_at < utcnow()))
    session.commit()
    return challenge.id, answer


def render_png(answer: str) -> bytes:
    buffer = io.BytesIO()
    ImageCaptcha(width=200, height=70).write(answer, buffer, format="png")
    return buffer.getvalue()


def image_data_uri(answer: str) -> str:
    """The image inline in the form (no second request, nothing to look up later)."""
    import base64

    return "data:image/png;base64," + base64.b64encode(render_png(answer)).decode()


def consume(session, challenge_id: str | None, answer: str | None) -> bool:
    """True once for the right answer before expiry; any attempt uses the challenge up."""
    if not current_app.config.get("CAPTCHA_ENABLED", True):
        return True
    if not challenge_id or not answer:
        return False
    now = utcnow()
    # One UPDATE decides: concurrent submissions of the same challenge cannot both win.
    result = session.execute(
        update(CaptchaChallenge)
        .where(
            CaptchaChallenge.id == challenge_id,
            CaptchaChallenge.used_at.is_(None),
            CaptchaChallenge.expires_at >= now,
        )
        .values(used_at=now)
        .returning(CaptchaChallenge.answer_hash)
    )
    row = result.first()
    session.commit()
    return row is not None and hmac.compare_digest(row[0], _digest(answer))
