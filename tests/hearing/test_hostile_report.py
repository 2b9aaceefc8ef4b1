"""Text from data and scenario files in a hearing report shows as text: no javascript: link, no HTML, no image,
in the HTML report's sections (rendered by nbconvert's own Markdown renderer), the comparison page and the
score summary (issue 15, class "injection in what the tool writes")."""

import re

import pandas as pd
import pytest
from helpers import DATA

from kotaku_decide.data.profiles import load_profile
from kotaku_decide.hearing.run import run_scenario
from kotaku_decide.hearing.sections import SECTIONS, _code_block, section
from kotaku_decide.hearing.tables import markdown_summary
from kotaku_decide.score.scoring import score_table

LINK = "[click here](javascript:alert(1))"
TAG = "<script>alert(2)</script>"
IMG = "![x](javascript:alert(3))"


def _dangerous(html: str) -> list[str]:
    found = re.findall(r"""(?:href|src)\s*=\s*["']?\s*javascript:""", html, re.I)
    found += re.findall(r"<script>alert", html, re.I) + re.findall(r"<img[^>]*javascript", html, re.I)
    return found


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile_report")
    base = pd.read_csv(DATA / "balikpapan_2016_baseline.csv", comment="#", dtype=str)
    base.loc[0, "name"] = TAG
    base.loc[1, "name"] = LINK
    base.loc[2, "kecamatan"] = IMG
    base["provenance"] = "SYNTHETIC test rows " + LINK
    p = tmp / "b.csv"
    base.to_csv(p, index=False)
    hr = run_scenario({"data": {"baseline": str(p)}, "description": LINK + " " + TAG, "ranking": {"draws": 0},
                       "report": {"explain": False, "goal": False}}, tmp / "out", name="evil<b>", greedy=False)
    return hr, tmp


def test_every_report_section_renders_data_text_as_text(hostile_run):
    from nbconvert.filters.markdown import markdown2html_mistune as render  # what the HTML report uses

    hr, _ = hostile_run
    pages = []
    for key in SECTIONS:
        for obj in section(hr, key):
            data = getattr(obj, "data", None)
            if not isinstance(data, str):
                continue  # figures
            pages.append(render(data) if type(obj).__name__ == "Markdown" else data)
    page = "\n".join(pages)
    assert _dangerous(page) == []
    assert "javascript:alert(1)" in page  # shown, as text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_the_report_page_renders_data_text_as_text(hostile_run):
    from kotaku_decide.hearing.page import render_report

    _, tmp = hostile_run
    page = render_report(tmp / "out")
    assert _dangerous(page) == []
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page and "evil&lt;b&gt;" in page


def test_the_comparison_page_escapes_descriptions(hostile_run):
    from kotaku_decide.hearing.comparison import write_comparison

    hr, tmp = hostile_run
    import shutil

    shutil.copytree(tmp / "out", tmp / "set" / "evil")
    write_comparison(tmp / "set", ["evil"])  # the folder name is the batch's (a safe name); the text is the data's
    html = (tmp / "set" / "comparison.html").read_text()
    assert _dangerous(html) == [] and "&lt;script&gt;" in html


def test_the_score_summary_markdown_has_no_live_links(tmp_path, make_csv):
    from helpers import location
    from nbconvert.filters.markdown import markdown2html_mistune as render

    rows = [location("A", name=LINK, kecamatan=IMG, provenance=TAG, shares={"1a": 80, "2a": 80, "3a": 80}),
            location("B", name="a | b", kecamatan="K|2")]
    from kotaku_decide.data.validate import load_baseline

    prof = load_profile("permen-14-2018")
    s = score_table(load_baseline(make_csv(rows), prof), prof)
    md = markdown_summary(s, prof, "en")
    html = render(md)
    assert _dangerous(html) == []
    # the kecamatan table keeps its columns although a name holds "|"
    section = md.split("## Hectares by kecamatan")[1].split("\n## ")[0]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    assert len(table) == 4 and "K\\|2" in section  # header, two kecamatan, total
    assert all(line.count(" | ") == table[0].count(" | ") for line in table)


def test_a_parameters_block_cannot_be_closed_by_its_content():
    from nbconvert.filters.markdown import markdown2html_mistune as render

    text = "description: '```\n[x](javascript:alert(1))\n```'\n"
    html = render(_code_block(text, "yaml"))
    assert _dangerous(html) == [] and html.count("<pre") == 1
