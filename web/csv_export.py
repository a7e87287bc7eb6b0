"""Every CSV the product hands out goes through here: cells a spreadsheet would take as a
formula are neutralised with a leading single quote."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from starlette.responses import Response

# =, +, - and @ start a formula; a leading tab or carriage return is dropped by some
# spreadsheets, which then run what follows (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_download(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    filename: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``rows`` as a CSV attachment (UTF-8 with BOM, which spreadsheets read as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )
