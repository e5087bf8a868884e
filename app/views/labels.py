"""Kept for services.workflow's field_label until its split imports services.labels."""
from ..services.labels import LABELS  # noqa: F401
