"""PostgreSQL ``COPY … FROM STDIN`` in the text format: how a value is written, and the write
itself, for the bulk paths that bypass INSERT (the roster import, the city-scale seed).

The text format reads a tab as the end of a value, a newline or carriage return as the end of a
row, a backslash as an escape and ``\\N`` as NULL, so those are escaped in every string.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from typing import Any

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = re.compile(r"[\\\t\n\r]")


def copy_text(value: Any) -> str:
    """``value`` as COPY's text format reads it (database-ready values: prepared dates, ints,
    decimals, booleans, strings, None). Raises TypeError for anything else rather than guess."""
    if isinstance(value, str):
        return value.translate(_ESCAPES) if _SPECIAL.search(value) else value
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):
        # Aware datetimes carry their offset in the text.
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")


def copy_write(db: Any, sql: str, payload: str) -> None:
    """Run ``sql`` (``COPY table (columns) FROM STDIN``) with ``payload`` (lines of tab-separated
    ``copy_text`` values, each ending in a newline) on connection ``db``. A constraint failure
    arrives as ``django.db.IntegrityError``, as from ``execute()``; the surrounding transaction
    applies as to an INSERT."""
    with db.cursor() as cursor, db.wrap_database_errors:
        # The raw driver cursor: Django's wrapper has no COPY.
        raw = cursor.cursor
        if hasattr(raw, "copy"):  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(payload)
        else:  # psycopg2
            raw.copy_expert(sql, io.StringIO(payload))
