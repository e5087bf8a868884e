"""Scanned documents: checked by content, stored outside the web root under generated names.

`save_file` is the one place that reads, checks and writes an upload; Pegawai documents
(`store_upload`) and helpdesk ticket attachments both go through it.
"""

import hashlib
import io
import os
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import abort, current_app, send_file
from flask_babel import lazy_gettext as _l

from ..models import Dokumen

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
MAX_IMAGE_PIXELS = 40_000_000
# The file extension that matches each accepted content type.
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}


class UploadRejected(ValueError):
    """The upload is not an acceptable document, or could not be stored; the message says
    why, for the user."""


STORAGE_FAILED_MESSAGE = _l(
    "The document could not be stored because of a problem on the server. Nothing was saved: please try again later."
)


@dataclass(frozen=True)
class StoredFile:
    """A checked upload written under `stored_name` (see `path_for`)."""

    stored_name: str
    original_name: str
    content_type: str  # from the content, never from the name or the browser
    size_bytes: int
    sha256: str


def sniff_content_type(data: bytes) -> str | None:
    """Content type from the file's own bytes and a successful parse, never from its name."""
    if data.startswith(b"%PDF-"):
        try:
            from pypdf import PdfReader

            if len(PdfReader(io.BytesIO(data)).pages) > 0:
                return PDF
        except Exception:  # noqa: BLE001 - any parse failure means "not a PDF"
            return None
        return None
    if data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff"):
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    return None
                img.verify()
                return PNG if img.format == "PNG" else JPEG if img.format == "JPEG" else None
        except Exception:  # noqa: BLE001 - any parse failure means "not an image"
            return None
    return None


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(stored_name: str) -> Path:
    """Where the file stored as `stored_name` lives (outside the web root)."""
    return upload_root() / stored_name[:2] / stored_name


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary name and rename: a failed write never leaves a half file behind.
    tmp = path.with_suffix(".part")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_file(file_storage) -> StoredFile:
    """Read an upload (at most UPLOAD_MAX_BYTES), check it by content and write it under a
    generated name. Raises UploadRejected, with a message for the user, and then writes
    nothing.

    The file's name is never trusted: a PNG named "scan.pdf" is accepted and recorded as
    the PNG it is (see `download_name`); a text, HTML or SVG file is refused whatever it
    is called."""
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    data = file_storage.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadRejected(_l("The document is larger than 2 MB."))
    if not data:
        raise UploadRejected(_l("The document is empty."))
    content_type = sniff_content_type(data)
    if content_type is None:
        raise UploadRejected(_l("The document must be a PDF, JPG or PNG file."))
    stored_name = uuid.uuid4().hex
    try:
        _write_atomically(path_for(stored_name), data)
    except OSError as exc:
        # Disk full, volume gone, permissions: nothing is left behind (_write_atomically),
        # and the user is told, instead of a 500, that nothing was saved.
        current_app.logger.error("Upload could not be written: %s (errno %s)", exc.strerror, exc.errno)
        raise UploadRejected(STORAGE_FAILED_MESSAGE) from exc
    return StoredFile(
        stored_name=stored_name,
        original_name=clean_name(file_storage.filename),
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def clean_name(name: str | None) -> str:
    """An uploaded file's name as it is kept, shown and offered on download: without control
    or format characters (a CR/LF made the Content-Disposition header fail with a 500; U+202E
    can disguise an extension) and without a directory part; at most 255 characters."""
    name = "".join(ch for ch in (name or "") if unicodedata.category(ch)[0] != "C")
    return PurePath(name.replace("\\", "/")).name.strip()[:255] or "dokumen"


def discard(stored_name: str | None) -> None:
    """Remove a stored file whose database row was never committed."""
    if stored_name:
        path_for(stored_name).unlink(missing_ok=True)


def download_name(original_name: str, content_type: str) -> str:
    """The name to offer on download: the original name with the extension of the real
    content type, so a PNG uploaded as "scan.pdf" is saved as "scan.png"."""
    name = clean_name(original_name)
    wanted = EXTENSIONS.get(content_type)
    suffix = PurePath(name).suffix.lower()
    if wanted is None or suffix == wanted or (wanted == ".jpg" and suffix == ".jpeg"):
        return name
    known = set(EXTENSIONS.values()) | {".jpeg"}
    return (PurePath(name).stem if suffix in known else name) + wanted


def store_upload(session, pegawai_id: int, file_storage, uploaded_by_id=None) -> Dokumen:
    """Validate and write an uploaded file; add (not commit) its Dokumen row to `session`."""
    return record_stored(session, pegawai_id, save_file(file_storage), uploaded_by_id=uploaded_by_id)


def record_stored(session, pegawai_id: int, stored: StoredFile, uploaded_by_id=None) -> Dokumen:
    """Add (not commit) the Dokumen row of a file already stored by save_file."""
    dokumen = Dokumen(
        pegawai_id=pegawai_id,
        stored_name=stored.stored_name,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_by_id=uploaded_by_id,
    )
    session.add(dokumen)
    return dokumen


def path_of(dokumen: Dokumen) -> Path:
    return path_for(dokumen.stored_name)


def send_stored(stored_name: str, original_name: str, content_type: str):
    """The stored file as a download response: always an attachment with the type found at
    upload and `nosniff`, so a browser never renders it in the portal's origin; 404 when the
    file is missing. Callers check first that the user may have it."""
    path = path_for(stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=True,
        download_name=download_name(original_name, content_type),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Personal documents: never kept by a shared proxy or in the browser cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_dokumen(dokumen: Dokumen):
    """`send_stored` for a Dokumen row."""
    return send_stored(dokumen.stored_name, dokumen.original_name, dokumen.content_type)
