"""Files sent to the browser as downloads: the bytes under a file name (RFC 6266, a UTF-8 name as `filename*`), and
the media types of the workbooks and documents the pages offer."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download(data: bytes, filename: str, media_type: str) -> Response:
    """`data` as a file download under `filename` (percent-encoded, so a Chinese name or a quote stays a name)."""
    quoted = quote(filename)
    headers = {"Content-Disposition": f"attachment; filename=\"{quoted}\"; filename*=UTF-8''{quoted}"}
    return Response(data, media_type=media_type, headers=headers)
