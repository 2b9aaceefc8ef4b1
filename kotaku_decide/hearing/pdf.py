"""A4 PDF of a report page for the council's paper file, printed by a Chromium-family browser.

Why Chromium's print-to-PDF and not WeasyPrint: the PDF is then laid out by the same engine that
renders the page on screen (and in the tests' screenshots), so what the council reads on paper is what
was checked; Chromium (or Chrome / Edge, which planners usually have) is needed anyway to look at the
reports, while WeasyPrint would add Pango and, on Windows, a GTK install. The page's print style
sheet (:data:`kotaku_decide.hearing.page.STYLE`) sets A4, the margins and the page numbers ("Page 3 of
9" / "Halaman 3 dari 9", CSS page-margin boxes); the browser's own header and footer (date, file
path) are switched off. Nothing is fetched: the page has no external resources.

    html_to_pdf("reports/hearing_2016/baseline/report.html")   # -> report.pdf beside it
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..data.writers import atomic_path

__all__ = ["find_browser", "html_to_pdf", "BrowserNotFound", "BROWSER_NAMES"]

#: executables tried in this order (``KOTAKU_BROWSER`` overrides them)
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "msedge",
                 "microsoft-edge")


class BrowserNotFound(RuntimeError):
    """No Chromium-family browser to print with."""


def find_browser() -> str:
    """Path of a Chromium-family browser: ``$KOTAKU_BROWSER``, else the first of :data:`BROWSER_NAMES`
    on the PATH. Raises :class:`BrowserNotFound` naming what was tried."""
    env = os.environ.get("KOTAKU_BROWSER")
    if env:
        if shutil.which(env) or Path(env).exists():
            return shutil.which(env) or env
        raise BrowserNotFound(f"KOTAKU_BROWSER={env!r} is not an executable")
    for n in BROWSER_NAMES:
        p = shutil.which(n)
        if p:
            return p
    raise BrowserNotFound("no Chromium-family browser found (tried " + ", ".join(BROWSER_NAMES) + "); install "
                          "chromium (Debian: apt-get install chromium) or set KOTAKU_BROWSER to Chrome or Edge")


def html_to_pdf(html, pdf=None, *, browser: str | None = None, timeout: float = 120.0) -> Path:
    """Print an HTML file to an A4 PDF with page numbers; return the PDF's path.

    Parameters
    ----------
    html : the HTML file (a report page of :mod:`kotaku_decide.hearing.page`)
    pdf : the PDF to write (default: beside ``html`` with the suffix ``.pdf``); written atomically
    browser : a Chromium-family executable (default :func:`find_browser`)
    timeout : seconds the browser may take [s]
    """
    html = Path(html).resolve()
    if not html.exists():
        raise FileNotFoundError(f"{html}: no such report page")
    pdf = Path(pdf) if pdf else html.with_suffix(".pdf")
    exe = browser or find_browser()
    with tempfile.TemporaryDirectory(prefix="kotaku-pdf-") as profile, atomic_path(pdf) as tmp:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={tmp}", html.as_uri()]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0 or not tmp.exists() or tmp.stat().st_size < 1000 or tmp.read_bytes()[:5] != b"%PDF-":
            raise RuntimeError(f"{exe} could not print {html} to PDF (exit {r.returncode}): {r.stderr.strip()[-800:]}")
    return pdf
