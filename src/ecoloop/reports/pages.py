"""A brief's pages as the bureau prints them: its Word document converted to PDF by LibreOffice (headless, Writer
without a display: Debian's libreoffice-writer-nogui) and the PDF's pages to PNG images by poppler (pdftoppm), for
the rendered pages under docs/screens/ and a page view of a brief.

Every conversion runs in a fresh temporary directory with its own LibreOffice profile (two conversions sharing a
profile make the second fail without output), under a time limit that ends the converter's whole process group,
and with `fonts.conf` as its only font configuration change: the fonts a brief names (仿宋_GB2312, 方正小标宋简体,
楷体_GB2312, 宋体, 黑体) become Debian's Noto Serif / Sans CJK SC instead of LibreOffice's Japanese fallback. The
converter's environment is built here, not inherited: a fixed PATH, HOME in the temporary directory, UTF-8.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

FONTS_CONF = Path(__file__).with_name("fonts.conf")
SOFFICE = "soffice"
PDFTOPPM = "pdftoppm"
PDFTOTEXT = "pdftotext"
TIMEOUT_SECONDS = 120.0
FILTER = "MS Word 2007 XML"  # read the file as .docx only (LibreOffice would otherwise lay out any bytes as text)
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
INSTALL_HINT = "install Debian's libreoffice-writer-nogui and poppler-utils (scripts/install-system-deps)"


class PagesUnavailableError(RuntimeError):
    """A program the pages need (LibreOffice, pdftoppm, pdftotext) is not installed."""


class ConversionError(RuntimeError):
    """The converter failed, ran out of time or wrote nothing."""


def program(name: str) -> str:
    """The path of `name` on this machine (PagesUnavailableError naming the packages to install when missing)."""
    found = shutil.which(name) or shutil.which(name, path=SYSTEM_PATH)
    if found is None:
        raise PagesUnavailableError(f"{name} is not installed: {INSTALL_HINT}")
    return found


def available() -> bool:
    """Whether LibreOffice and poppler are installed."""
    try:
        for name in (SOFFICE, PDFTOPPM, PDFTOTEXT):
            program(name)
    except PagesUnavailableError:
        return False
    return True


def _environment(home: Path, executable: str) -> dict[str, str]:
    """The converter's whole environment: nothing of the server's own (its secrets) is passed on."""
    return {
        "PATH": f"{Path(executable).parent}:{SYSTEM_PATH}",
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "FONTCONFIG_FILE": str(FONTS_CONF),
    }


def _run(command: list[str], home: Path, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run `command` in its own process group; on time-out end that group (LibreOffice starts a child of its own)."""
    process = subprocess.Popen(
        command,
        cwd=home,
        env=_environment(home, command[0]),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):  # the group ended by itself meanwhile
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ConversionError(f"{Path(command[0]).name} ran out of time ({timeout:g} s)") from exc
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def to_pdf(document: bytes, *, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The Word document `document` (.docx bytes) as a PDF, laid out by LibreOffice."""
    soffice = program(SOFFICE)
    with tempfile.TemporaryDirectory(prefix="ecoloop-pages-") as scratch:
        home = Path(scratch)
        source = home / "brief.docx"
        source.write_bytes(document)
        profile = (home / "profile").as_uri()
        command = [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile}", f"--infilter={FILTER}"]
        done = _run([*command, "--convert-to", "pdf", "--outdir", str(home / "out"), str(source)], home, timeout)
        pdf = home / "out" / "brief.pdf"
        # LibreOffice may exit 0 without writing anything (a damaged document): the file is the proof.
        if not pdf.is_file() or pdf.stat().st_size == 0:
            detail = done.stderr.decode("utf-8", "replace").strip()[-500:]
            raise ConversionError(f"LibreOffice wrote no PDF (exit {done.returncode}): {detail}")
        return pdf.read_bytes()


def pdf_to_png(pdf: bytes, dpi: int = 96, first: int = 1, last: int | None = None) -> list[bytes]:
    """Pages first…last (1-based; `last` None: to the end) of a PDF as PNG images at `dpi` (an A4 page at 96 dpi
    is 794 by 1123 pixels)."""
    pdftoppm = program(PDFTOPPM)
    with tempfile.TemporaryDirectory(prefix="ecoloop-pages-") as scratch:
        home = Path(scratch)
        (home / "brief.pdf").write_bytes(pdf)
        command = [pdftoppm, "-png", "-r", str(dpi), "-f", str(first)]
        if last is not None:
            command += ["-l", str(last)]
        done = _run([*command, "brief.pdf", "page"], home, TIMEOUT_SECONDS)
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()[-500:]
            raise ConversionError(f"pdftoppm failed (exit {done.returncode}): {detail}")
        # pdftoppm names the pages page-1.png … or page-01.png …, by the page count's digits.
        pages = sorted(home.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [page.read_bytes() for page in pages]


def to_png(document: bytes, dpi: int = 96, first: int = 1, last: int | None = None) -> list[bytes]:
    """Pages first…last of the Word document `document` as PNG images at `dpi`."""
    return pdf_to_png(to_pdf(document), dpi, first, last)


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, page after page, in reading order (pdftotext -layout)."""
    pdftotext = program(PDFTOTEXT)
    with tempfile.TemporaryDirectory(prefix="ecoloop-pages-") as scratch:
        home = Path(scratch)
        (home / "brief.pdf").write_bytes(pdf)
        done = _run([pdftotext, "-layout", "-enc", "UTF-8", "brief.pdf", "-"], home, TIMEOUT_SECONDS)
        if done.returncode != 0:
            raise ConversionError(f"pdftotext failed (exit {done.returncode})")
        return done.stdout.decode("utf-8")
