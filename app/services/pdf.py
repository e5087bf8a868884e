"""PDF documents (xhtml2pdf) that never fetch anything but the app's own static files."""

import base64
import io
from pathlib import Path

import segno
from flask import current_app, render_template
from xhtml2pdf import pisa


class PdfError(RuntimeError):
    pass


def qr_data_uri(text: str, scale: int = 4) -> str:
    """A QR code as an inline PNG, so the PDF needs no file or network access for it."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _static_only_link_callback(uri: str, rel: str) -> str:
    """Resolve `/static/...` to a file inside app/static; refuse everything else.

    xhtml2pdf would otherwise open any local path or URL named in the HTML (user text
    included), which is both an SSRF and a file-disclosure hole."""
    if uri.startswith("data:"):
        return uri
    static_root = Path(current_app.static_folder).resolve()
    if uri.startswith("/static/"):
        candidate = (static_root / uri[len("/static/") :]).resolve()
        if candidate.is_file() and static_root in candidate.parents:
            return str(candidate)
    return ""  # xhtml2pdf skips resources it cannot resolve


def render_pdf(template: str, **context) -> bytes:
    """Render a Jinja template (autoescaped HTML) to PDF bytes."""
    html = render_template(template, **context)
    output = io.BytesIO()
    result = pisa.CreatePDF(html, dest=output, encoding="utf-8", link_callback=_static_only_link_callback)
    if result.err:
        raise PdfError(f"PDF rendering failed with {result.err} errors")
    return output.getvalue()
