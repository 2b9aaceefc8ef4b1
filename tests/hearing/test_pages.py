"""The report and comparison pages as a council member opens them: headless Chromium (Playwright) at
1280 pixels, the DOM read back, screenshots saved (``KOTAKU_SCREENSHOTS=docs/screenshots`` refreshes the
README's), and the A4 PDF checked page 1.

The numbers the pages state are recomputed here from the CSV files beside them (not from summary.json,
which the page is rendered from).
"""

import json
import shutil
import subprocess

import pandas as pd
import pytest
from helpers import OVERFLOW_JS, screenshot_dir

from kotaku_decide.data.labels import label
from kotaku_decide.evidence.text import money
from kotaku_decide.hearing.tables import format_number

SHOTS = screenshot_dir()
pytestmark = pytest.mark.slow


def _open(browser, path, height=1500):
    page = browser.new_page(viewport={"width": 1280, "height": height})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


def _no_overflow(page):
    res = page.evaluate(OVERFLOW_JS)
    assert res["bad"] == [] and res["scrollWidth"] <= res["vw"], res



@pytest.mark.parametrize("lang", ["en", "id"])
def test_report_page_opens_with_the_argument(hearing_set, browser, lang):
    out = hearing_set[lang]
    R = lambda k: label("report", k, lang)  # noqa: E731
    for name in ("baseline", "cut20"):
        folder = out / name
        page = _open(browser, folder / "report.html")
        # the first screen: title, one data warning, the summary paragraph, key figures
        assert page.locator(".warning").count() == 1
        assert ("SYNTHETIC" if lang == "en" else "SINTETIS") in page.locator(".warning").inner_text()
        para = page.locator("#summary-paragraph").inner_text()
        box = page.locator("#summary-paragraph").bounding_box()
        assert box["y"] + box["height"] < 1500, "the summary paragraph must be on the first screen"
        yearly = pd.read_csv(folder / "yearly.csv")
        plan = pd.read_csv(folder / "plan.csv")
        money_t = pd.read_csv(folder / "money.csv")
        cleared = yearly["slum_ha"].iloc[0] - yearly["slum_ha"].iloc[-1]
        assert f"{format_number(cleared, 1, lang)} " in para
        assert money(plan["cost_rp"].sum(), lang) in para and money(money_t["budget_rp"].sum(), lang) in para
        assert money(money_t["budget_rp"].sum() - plan["cost_rp"].sum(), lang) in para
        for y, v in zip(yearly["year"].iloc[1:], yearly["slum_ha"].iloc[1:]):
            assert f"{format_number(v, 1, lang)} ha ({y})" in para
        first_year = plan.groupby("location_id")["year"].min()
        assert R("sum_first").split("(")[0].strip() in para and str(first_year.min()) in para
        if name == "cut20":
            base = pd.read_csv(out / "baseline" / "yearly.csv")
            d = yearly["slum_ha"].iloc[-1] - base["slum_ha"].iloc[-1]
            key = "diff_ha_more" if d > 0.005 else "diff_ha_less" if d < -0.005 else "diff_ha_same"
            want = R(key).format(x=format_number(abs(d), 1, lang), year=int(yearly["year"].iloc[-1]))
            assert want in para
            gone = set(pd.read_csv(out / "baseline" / "plan.csv")["location_id"]) - set(plan["location_id"])
            if gone:
                assert R("diff_dropped").split(":")[0] in para
        else:
            assert R("vs_is_baseline") in para
        # charts and maps, drawn and loaded
        for key in ("plan_map", "location_map", "slum_hectares_by_year", "money_by_source", "rank_intervals"):
            img = page.locator(f"figure.fig-{key} img")
            assert img.count() == 1, key
            assert img.evaluate("i => i.complete && i.naturalWidth") > 600, key
        order = page.evaluate("""() => ['summary', 'maps', 'evidence', 'tables'].map(
            id => document.getElementById(id).getBoundingClientRect().top)""")
        assert order == sorted(order), "argument first, then the evidence, then the tables"
        _no_overflow(page)
        if name == "baseline":
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"report_{lang}.png"))
        page.close()


def test_evidence_section_states_the_value_of_optimisation_and_the_goal(hearing_set, browser):
    folder = hearing_set["en"] / "baseline"
    kf = json.loads((folder / "summary.json").read_text())
    ev = pd.read_csv(folder / "value_of_optimisation.csv")
    page = _open(browser, folder / "report.html")
    text = page.locator("#evidence").inner_text()
    matched = ev[ev["matches"]]
    if len(matched) and not ev.loc[ev["factor"] == 1.0, "matches"].any():
        f = matched["factor"].min()  # the smallest factor at which greedy was seen to match
        total = ev["budget_rp"].iloc[0] / ev["factor"].iloc[0]
        assert money((f - 1) * total, "en") in text and "greedy rule" in text
    assert "Least cost to the goal" in text
    g = kf["goal"]
    assert g is not None and g["unlimited"]["status"] == "optimal"
    assert money(g["unlimited"]["cost_rp"], "en") in text
    if g["given"]["status"] in ("optimal", "feasible_not_proven"):  # money moved freely never costs more
        assert g["unlimited"]["cost_rp"] <= g["given"]["cost_rp"] * (1 + 1e-6) + 1
        assert money(g["given"]["cost_rp"], "en") in text
    elif g["given"]["status"] != "infeasible":
        assert "not proven impossible" in text
    why = pd.read_csv(folder / "explanations.csv")
    first = why.loc[why["status"] == "cleared", "why"].iloc[0]
    assert first in text
    page.close()


@pytest.mark.parametrize("lang", ["en", "id"])
def test_solver_section_states_the_plan_value_and_its_bound(hearing_set, browser, lang):
    # the plan's hectare-years recomputed from before_after.csv (area x years on or after the clearing year,
    # no discount in this scenario); the bound as the solver reported it (solve_report.csv)
    folder = hearing_set[lang] / "cut20"
    kf = json.loads((folder / "summary.json").read_text())
    ba = pd.read_csv(folder / "before_after.csv")
    last = max(kf["years"])
    done = ba[ba["cleared_year"].notna()]
    hy = float((done["area_ha"] * (last - done["cleared_year"] + 1)).sum())
    bound = float(pd.read_csv(folder / "solve_report.csv")["best_bound"].iloc[0])
    assert bound >= hy - 1e-6
    page = _open(browser, folder / "report.html")
    text = page.locator("#solver").inner_text()
    assert format_number(hy, 2, lang) in text and format_number(bound, 2, lang) in text
    assert label("report", "unit_hectares", lang) in text
    page.close()


@pytest.mark.parametrize("lang", ["en", "id"])
def test_comparison_page_leads_with_charts(hearing_set, browser, lang):
    out = hearing_set[lang]
    page = _open(browser, out / "comparison.html")
    assert page.locator(".warning").count() == 1
    for key in ("progress", "money", "changes"):
        img = page.locator(f"figure.fig-{key} img")
        assert img.count() == 1 and img.evaluate("i => i.complete && i.naturalWidth") > 500, key
    top = page.evaluate("""() => [document.getElementById('charts').getBoundingClientRect().top,
                                  document.getElementById('tables').getBoundingClientRect().top]""")
    assert top[0] < top[1]
    # the key figures table has one column per scenario (transposed), not one per figure
    heads = page.locator("#tables table").first.locator("thead th").all_inner_texts()
    assert [h for h in heads if h.strip()] == ["baseline", "cut20"]
    comp = pd.read_csv(out / "comparison.csv").set_index("scenario")
    cell = page.locator("#tables table").first.inner_text()
    assert format_number(comp.loc["cut20", "spent_rp"], 2, lang) in cell
    _no_overflow(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"comparison_{lang}.png"))
    page.close()


def test_indonesian_pages_have_no_english_page_words(hearing_set, browser):
    out = hearing_set["id"]
    for f in (out / "baseline" / "report.html", out / "comparison.html"):
        page = _open(browser, f)
        text = page.locator("body").inner_text()
        for english in ("What this scenario buys", "About the data", "Money spent", "The evidence", "Tables",
                        "Slum hectares left", "Compared with", "greedy rule", "The plan on the map"):
            assert english not in text, (f.name, english)
        page.close()


def test_report_prints_to_a4_pdf_with_page_numbers(hearing_set, tmp_path):
    from kotaku_decide.hearing.pdf import html_to_pdf

    for tool in ("pdftoppm", "pdfinfo", "pdftotext"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} missing: .ci/run installs Debian's poppler-utils")
    pdf = html_to_pdf(hearing_set["en"] / "baseline" / "report.html", tmp_path / "report.pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 3 and "(A4)" in info
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", str(pdf), str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png"))
    from matplotlib.image import imread

    img = imread(png)
    assert img.shape[0] > img.shape[1]  # portrait
    dark = (img[..., :3].mean(axis=2) < 0.5).mean()
    assert 0.005 < dark < 0.5, dark  # text and figures, not a blank page
    assert len({tuple(px) for px in img[::7, ::7, :3].reshape(-1, 3).round(2).tolist()}) > 30
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert f"Page 1 of {pages}" in first and "What this scenario buys" in first
    last = subprocess.run(["pdftotext", "-f", str(pages), "-l", str(pages), str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert f"Page {pages} of {pages}" in last
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, SHOTS / "report_en_pdf_page1.png")
