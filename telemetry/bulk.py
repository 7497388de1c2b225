"""One-statement bulk UPDATE for the ingestion hot path.

Django's ``bulk_update`` writes ``CASE WHEN pk=.. THEN ..`` per field and row; building
those expressions costs milliseconds per hundred rows in Python, which was most of the
ingestion time for a few thousand roll-up rows. On PostgreSQL the same update is one
``UPDATE .. FROM (VALUES ..)`` statement; elsewhere ``bulk_update`` is used as is.
"""

from __future__ import annotations

from django.db import connection

CHUNK = 2000


def bulk_update(model, objs, fields: list[str]) -> None:
    objs = list(objs)
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=500)
        return
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    casts = [f"%s::{pk.db_type(connection)}"] + [f"%s::{f.db_type(connection)}" for f in columns]
    row_sql = "(" + ", ".join(casts) + ")"
    names = ["pk", *[f"c{n}" for n in range(len(columns))]]
    assignments = ", ".join(f"{quote(f.column)} = v.c{n}" for n, f in enumerate(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), CHUNK):
            chunk = objs[start : start + CHUNK]
            params = []
            for obj in chunk:
                params.append(pk.get_db_prep_value(obj.pk, connection))
                params.extend(
                    f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns
                )
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v({', '.join(names)}) "
                f"WHERE t.{quote(pk.column)} = v.pk",
                params,
            )
