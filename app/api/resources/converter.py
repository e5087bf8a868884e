"""How model columns become response fields, made truthful for the OpenAPI spec.

ReadOnlyApi.model2schemaconverter; PegawaiApi adds its `tanggal_verifikasi` with
utc_datetime_field.
"""

import datetime as dt

from flask_appbuilder.api.convert import Model2SchemaConverter
from marshmallow import fields


class ApiSchemaConverter(Model2SchemaConverter):
    """FAB's converter, made truthful for the OpenAPI spec: a nullable relation may be null,
    a NUMERIC column is a JSON number (FAB would send Decimal as a string) and a stored time,
    naive UTC, is sent as RFC 3339 with its offset ("…+00:00")."""

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        field = super()._column2field(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)
        if isinstance(field, fields.Decimal):
            field = fields.Float(allow_none=field.allow_none, required=field.required, dump_only=True)
        if type(field) is fields.DateTime:
            field = utc_datetime_field(allow_none=field.allow_none, required=field.required)
        if isinstance(field, fields.Nested) and datamodel.is_nullable(column.name):
            field.allow_none = True
        return field


class UtcDateTime(fields.DateTime):
    """A stored time (naive UTC) as RFC 3339 with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


def utc_datetime_field(**kwargs):
    """A read-only UtcDateTime field (`allow_none`, `required` as for any marshmallow field)."""
    return UtcDateTime(dump_only=True, **kwargs)
