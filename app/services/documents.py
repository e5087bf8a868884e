"""Scanned documents: checked by content, stored outside the web root under generated names."""
import hashlib
import io
import os
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..models import Dokumen

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
MAX_IMAGE_PIXELS = 40_000_000


class UploadRejected(ValueError):
    """The upload is not an acceptable document; the message says why, for the user."""


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


def store_upload(session, pegawai_id: int, file_storage, uploaded_by_id=None) -> Dokumen:
    """Validate and write an uploaded file; add (not commit) its Dokumen row to `session`."""
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
    path = upload_root() / stored_name[:2] / stored_name
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
    dokumen = Dokumen(
        pegawai_id=pegawai_id,
        stored_name=stored_name,
        original_name=(file_storage.filename or "dokumen")[:255],
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=uploaded_by_id,
    )
    session.add(dokumen)
    return dokumen


def path_of(dokumen: Dokumen) -> Path:
    return upload_root() / dokumen.stored_name[:2] / dokumen.stored_name
