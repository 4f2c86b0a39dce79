"""Downloads carry their file name one way on every page (RFC 6266)."""

from __future__ import annotations

from urllib.parse import unquote

from ecoloop.web.downloads import XLSX, download


def test_a_download_names_its_file_in_utf8_and_quotes_what_would_break_the_header() -> None:
    response = download(b"data", '清源市 台账"; x=1.xlsx', XLSX)
    header = response.headers["content-disposition"]
    assert header.startswith('attachment; filename="') and "filename*=UTF-8''" in header
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == '清源市 台账"; x=1.xlsx'
    assert '"' not in encoded and ";" not in encoded and " " not in encoded
    assert response.media_type == XLSX and response.body == b"data"
