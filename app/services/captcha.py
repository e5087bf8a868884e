"""Offline image captcha ("Kode Captcha").

Showing a captcha writes nothing: the challenge id (issue time + random) goes into the signed
session, and its answer is derived from the id with SECRET_KEY (HMAC), so any app host can
redraw or check it and the answer never leaves the server in clear. Only an attempt to solve
it writes a row (the used challenge), which makes it single use, right or wrong; the rows of
expired challenges are dropped as new ones come. Anonymous GETs therefore cannot fill the
table, and drawing the image (a few ms of CPU) is limited per client IP like the forms.
"""

import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
import time

from captcha.image import ImageCaptcha
from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from ..models import utcnow
from ..models.registration import CaptchaChallenge
from . import ratelimit

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: nothing a tired eye confuses.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 5
LIFETIME = dt.timedelta(minutes=10)
_ID = re.compile(r"[0-9a-f]{32}")  # 8 hex digits of issue time (Unix seconds), 24 random


def _digest(answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, answer.strip().upper().encode(), hashlib.sha256).hexdigest()


def answer_of(challenge_id: str) -> str:
    """The code drawn for `challenge_id`: only a holder of SECRET_KEY can tell it."""
    key = current_app.config["SECRET_KEY"].encode()
    number = int.from_bytes(hmac.new(key, b"captcha:" + challenge_id.encode(), hashlib.sha256).digest(), "big")
    code = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        code.append(ALPHABET[index])
    return "".join(code)


def _issued_at(challenge_id: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(challenge_id[:8], 16), dt.timezone.utc).replace(tzinfo=None)


def new_challenge() -> tuple[str, str]:
    """A new challenge: (id for the session, answer to draw). Writes nothing; counts against
    the per-IP limit of the public forms (429 past it), as drawing costs CPU."""
    ratelimit.enforce(ratelimit.PUBLIC_FORM_PER_IP, scope="captcha:ip")
    challenge_id = f"{int(time.time()):08x}{secrets.token_hex(12)}"
    return challenge_id, answer_of(challenge_id)


def render_png(answer: str) -> bytes:
    buffer = io.BytesIO()
    ImageCaptcha(width=200, height=70).write(answer, buffer, format="png")
    return buffer.getvalue()


def image_data_uri(answer: str) -> str:
    """The image inline in the form (no second request, nothing to look up later)."""
    import base64

    return "data:image/png;base64," + base64.b64encode(render_png(answer)).decode()


def consume(session, challenge_id: str | None, answer: str | None) -> bool:
    """True once for the right answer before expiry; any attempt uses the challenge up.
    Commits (its own short transaction)."""
    if not current_app.config.get("CAPTCHA_ENABLED", True):
        return True
    if not challenge_id or not answer or not _ID.fullmatch(challenge_id):
        return False
    now = utcnow()
    expires_at = _issued_at(challenge_id) + LIFETIME
    if expires_at < now:
        return False
    first = True
    try:
        # The primary key decides: of concurrent attempts on one challenge, one inserts.
        with session.begin_nested():
            session.add(
                CaptchaChallenge(
                    id=challenge_id, answer_hash=_digest(answer_of(challenge_id)), expires_at=expires_at, used_at=now
                )
            )
    except IntegrityError:
        first = False
    # A used challenge needs no row once it has expired anyway.
    session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.expires_at < now))
    session.commit()
    return first and hmac.compare_digest(_digest(answer_of(challenge_id)), _digest(answer))
