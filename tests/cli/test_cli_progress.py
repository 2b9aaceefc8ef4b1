"""``kotaku-decide progress`` end to end: both report languages, named errors, nothing written on error."""

import html
import re

import openpyxl
import pytest
from kd_testutil import DATA

from kotaku_decide.cli.main import main
from kotaku_decide.data.labels import catalogue, label
from kotaku_decide.data.scenario import load_scenario

PLAN = DATA / "progress" / "balikpapan_plan_adopted.csv"
REALISED = DATA / "progress" / "balikpapan_realised_synthetic.csv"
SCENARIO = DATA / "scenarios" / "balikpapan.yaml"
#: codes and English words that must not reach a cell of the Indonesian report
RAW = {"done", "late", "behind", "not_due", "not_in_plan", "over", "under", "on_cost", "apbn", "apbd_kota",
       "apbd_prov", "dak", "csr", "swadaya", "True", "False", "nan", "NaN", "<NA>", "None", "road", "water",
       "wastewater", "solid_waste", "drainage", "fire", "building", "confirmed", "unconfirmed"}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("progress")
    rc = main(["progress", str(PLAN), "--done", str(REALISED), "--scenario", str(SCENARIO), "--out", str(d)])
    assert rc == 0
    return d


def test_writes_both_languages_with_the_synthetic_warning(out):
    for lang in ("en", "id"):
        page = (out / f"report_{lang}.html").read_text(encoding="utf-8")
        assert html.escape(label("text", "synthetic_warning", lang)) in page
        assert html.escape(label("progress", "sec_behind", lang)) in page
        assert page.count("data:image/png;base64,") == 3  # two indicator figures and the map
        assert "<script" not in page
        wb = openpyxl.load_workbook(out / f"progress_{lang}.xlsx", read_only=True)
        assert {"summary", "yearly", "behind_plan", "cleared", "works"} <= set(wb.sheetnames)
    for f in ("yearly.csv", "works.csv", "behind_plan.csv", "cleared.csv", "money_by_source_year.csv",
              "DATA_STATUS.txt"):
        assert (out / f).exists()
    assert "SYNTHETIC" in (out / "DATA_STATUS.txt").read_text()


def test_indonesian_report_has_no_english_codes(out):
    page = (out / "report_id.html").read_text(encoding="utf-8")
    heads = [html.unescape(h).strip() for h in re.findall(r"<th>(.*?)</th>", page, re.S)]
    allowed = set(catalogue("id")["progress_columns"].values()) | set(catalogue("id")["progress"].values())
    assert heads and all(h in allowed for h in heads), [h for h in heads if h not in allowed]
    cells = [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]
    words = {w.strip(",") for c in cells for w in c.split()}
    assert not (words & RAW), words & RAW
    assert label("progress_status", "late", "id") in cells and label("progress_status", "not_in_plan", "id") in cells
    assert "1.234" not in page and re.search(r"\d{1,3}(\.\d{3})+,\d{2}", page)  # Indonesian number format


def test_a_bad_realised_row_is_named_and_nothing_is_written(tmp_path, capsys):
    bad = tmp_path / "realised.csv"
    lines = REALISED.read_text(encoding="utf-8").splitlines()
    head = [i for i, x in enumerate(lines) if x.startswith("location_id")][0]
    cells = lines[head + 1].split(",")
    cells[3] = "99999"  # volume far above what was affected
    lines[head + 1] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dest = tmp_path / "out"
    rc = main(["progress", str(PLAN), "--done", str(bad), "--scenario", str(SCENARIO), "--out", str(dest)])
    err = capsys.readouterr().err
    assert rc == 1 and f"row {head + 2}, column 'volume': found '99999'" in err and "nothing was written" in err
    assert not dest.exists()


def test_scenario_is_taken_from_beside_the_plan(tmp_path, capsys):
    d = tmp_path / "alloc"
    d.mkdir()
    (d / "plan.csv").write_bytes(PLAN.read_bytes())
    rc = main(["progress", str(d / "plan.csv"), "--done", str(REALISED), "--out", str(tmp_path / "o")])
    assert rc == 2 and "scenario_resolved.yaml" in capsys.readouterr().err
    (d / "scenario_resolved.yaml").write_text(load_scenario(SCENARIO).to_yaml(), encoding="utf-8")
    rc = main(["progress", str(d / "plan.csv"), "--done", str(REALISED), "--out", str(tmp_path / "o"),
               "--lang", "en", "--clearance", "services_80"])
    out = capsys.readouterr().out
    assert rc == 0 and "clearance rule: services_80" in out
    assert (tmp_path / "o" / "report_en.html").exists() and not (tmp_path / "o" / "report_id.html").exists()


@pytest.mark.slow
def test_report_renders_in_headless_chromium(out, tmp_path):
    import os
    import shutil
    import subprocess

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium not installed on this machine")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1300,3000"]
    page = out / "report_id.html"
    dom = subprocess.run([exe, *flags, "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<img") == 3 and dom.stdout.count("<table") >= 5
    shot = tmp_path / "progress.png"
    r = subprocess.run([exe, *flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and shot.exists()
    from matplotlib.image import imread

    img = imread(shot)
    assert img.shape[0] >= 1000 and len({tuple(px) for px in img[::25, ::25, :3].reshape(-1, 3).round(2).tolist()}) > 20
