"""Headless Chromium for the page tests, driven by Playwright (Debian's chromium, not a downloaded build)."""

from __future__ import annotations

import os
import shutil

import pytest

#: JavaScript: elements wider than the viewport, except those inside their own horizontal scroll box
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p).overflowX;
      if ((s === 'auto' || s === 'scroll') && p.getBoundingClientRect().right <= vw + 0.5) return true; }
    return false; };
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if ((r.right > vw + 0.5 || r.left < -0.5) && !scrolls(el))
      bad.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  return {vw: vw, scrollWidth: document.documentElement.scrollWidth, bad: bad.slice(0, 10)};
}"""


def chromium_path() -> str:
    for c in ("chromium", "chromium-browser"):
        if shutil.which(c):
            return shutil.which(c)
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium not installed on this machine")


def launch(p):
    """A headless Chromium from Playwright's ``sync_playwright()`` handle ``p``."""
    return p.chromium.launch(executable_path=chromium_path(), headless=True,
                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                   "--disable-component-update", "--no-first-run"])


def playwright_or_fail():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed; .ci/run installs it from PyPI")
        pytest.skip("playwright not installed")
    return sync_playwright
