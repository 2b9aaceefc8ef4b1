"""The budget explorer web app as a user meets it: `kotaku-decide app` started as a command, the page
driven in headless Chromium with Playwright (slider, a budget, Apply, the answer read from the page),
the server stopped. The answer on the page is checked against a re-solve in this process."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import OVERFLOW_JS, screenshot_dir

from kotaku_decide.data.labels import label
from kotaku_decide.hearing.tables import format_number

SHOTS = screenshot_dir()
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self, lang: str, tmp: Path):
        self.port = _free_port()
        exe = Path(sys.executable).with_name("kotaku-decide")
        self.log = open(tmp / f"app_{lang}.log", "w+")
        self.proc = subprocess.Popen([str(exe), "app", "--lang", lang, "--port", str(self.port), "--sweep-points", "3"],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited: {self.text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the app did not listen on {self.port}: {self.text()}")

    def text(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()


def _bound_addresses(port: int) -> set:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    out = set()
    for f, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(f).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            addr, p = parts[1].split(":")
            if int(p, 16) == port and parts[3] == "0A":  # LISTEN
                out.add(addr)
    return out


def _answer_ha(text: str, lang: str) -> str:
    key = label("explorer", "cleared_ha", lang)
    m = re.search(re.escape(key) + r"\s+([\d.,]+)", text)
    assert m, text
    return m.group(1)



def _open_app(browser, server, lang):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(f"http://127.0.0.1:{server.port}/", timeout=240_000)
    page.wait_for_selector(".kd-slider", timeout=240_000)  # the kernel has run the sweep and built the widget
    page.wait_for_selector(".kd-sweep-answer table", timeout=60_000)
    return page


def test_app_slider_budget_apply_answer(browser, tmp_path):
    from kotaku_decide.hearing.explorer import BudgetExplorer

    server = _Server("en", tmp_path)
    try:
        assert _bound_addresses(server.port) == {"0100007F"}, "the app must listen on 127.0.0.1 only"
        page = _open_app(browser, server, "en")
        assert "SYNTHETIC" in page.locator(".kd-warning").inner_text()
        # 1. the slider: answered from the precomputed sweep, no solve
        before = page.locator(".kd-sweep-answer").inner_text()
        readout = page.locator(".kd-slider .widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("0.1")
        page.keyboard.press("Enter")
        page.wait_for_function("b => document.querySelector('.kd-sweep-answer').innerText !== b", arg=before,
                               timeout=20_000)
        after = page.locator(".kd-sweep-answer").inner_text()
        assert after != before
        # 2. a budget changed, Apply: the progress indicator shows, then the answer
        ex = BudgetExplorer(sweep_points=0)
        b = ex.budgets.copy()
        src, year = "apbd_kota", int(b.columns[0])
        new_bn = round(b.at[src, year] / 1e9 / 4, 3)
        box = page.locator(f".kd-budget-{src}-{year} input")
        box.fill(str(new_bn))
        box.press("Enter")
        page.locator(".kd-apply button, button.kd-apply").first.click()
        page.wait_for_selector(".kd-busy", state="visible", timeout=10_000)
        page.wait_for_selector(".kd-busy", state="hidden", timeout=180_000)
        first = page.locator(".kd-answer").inner_text()
        assert label("explorer", "computed_at", "en").split("{")[0].strip() in first
        b.at[src, year] = new_bn * 1e9
        want = ex.solve(b)
        assert _answer_ha(first, "en") == format_number(want.evaluation["cleared_ha"], 2, "en")
        assert format_number(want.evaluation["cost_rp"], 0, "en") in first
        # 3. another Apply: while it runs, the last answer stays on screen
        box.fill(str(round(new_bn * 2, 3)))
        box.press("Enter")
        page.locator(".kd-apply button, button.kd-apply").first.click()
        page.wait_for_selector(".kd-busy", state="visible", timeout=10_000)
        assert page.locator(".kd-answer").inner_text() == first
        assert page.locator(".kd-apply button, button.kd-apply").first.is_disabled()
        page.wait_for_selector(".kd-busy", state="hidden", timeout=180_000)
        second = page.locator(".kd-answer").inner_text()
        b.at[src, year] = round(new_bn * 2, 3) * 1e9
        assert _answer_ha(second, "en") == format_number(ex.solve(b).evaluation["cleared_ha"], 2, "en")
        res = page.evaluate(OVERFLOW_JS)
        assert res["scrollWidth"] <= res["vw"], res
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "app_en.png"))
        page.close()
        log = server.text()
        assert "without encryption" not in log and "Running HiGHS" not in log, log
    finally:
        server.stop()
    assert server.proc.returncode is not None


def test_app_in_indonesian(browser, tmp_path):
    server = _Server("id", tmp_path)
    try:
        page = _open_app(browser, server, "id")
        text = page.locator("body").inner_text()
        for want in (label("explorer", "title", "id"), label("explorer", "apply", "id"), "SINTETIS",
                     label("explorer", "no_answer_yet", "id")):
            assert want in text, want
        for english in ("Budget explorer", "Apply", "No re-solve yet", "About the data"):
            assert english not in text, english
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "app_id.png"))
        page.close()
    finally:
        server.stop()


def test_app_refuses_a_missing_scenario(tmp_path):
    exe = Path(sys.executable).with_name("kotaku-decide")
    r = subprocess.run([str(exe), "app", str(tmp_path / "nope.yaml"), "--port", str(_free_port())],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "nope.yaml" in r.stderr and "not found" in r.stderr


def test_prepared_notebook_injects_parameters_and_drops_notes(tmp_path):
    import nbformat

    from kotaku_decide.hearing.app import prepare_notebook, voila_argv

    nb = nbformat.read(str(prepare_notebook(tmp_path, None, lang="id", sweep_points=5)), as_version=4)
    assert all(c.cell_type == "code" for c in nb.cells)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "lang = \"id\"" in injected[0].source and "sweep_points = 5" in injected[0].source
    argv = voila_argv(tmp_path / "x.ipynb", port=9000)
    assert "--Voila.ip=127.0.0.1" in argv and "--no-browser" in argv
    with pytest.raises(ValueError, match="lang"):
        prepare_notebook(tmp_path, None, lang="fr")

