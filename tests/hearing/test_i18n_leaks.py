"""No English in an Indonesian (``lang: id``) report: headers, coded values, notes, the data-status line,
source labels, the comparison page and the explorer widget all come from the id catalogue.

Free text from the user's own files (location names, a scenario's description, a baseline's provenance
column, a label a rules file gives) is shown as given and is not checked here.
"""

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from helpers import CODES, DATA, location, write_csv

from kotaku_decide.data.labels import catalogue, label
from kotaku_decide.hearing.tables import display_frame, markdown_summary, source_labels

#: codes and English words that must not reach an Indonesian table cell
RAW_CODES = {"True", "False", "cleared", "not_slum", "not_funded", "works_not_cleared", "locked_out", "end of year",
             "city", "province", "central", "tidak_kumuh", "berat", "sedang", "ringan", "apbn", "apbd_kota",
             "apbd_prov", "dak", "csr", "swadaya", "hectares", "households", "least_cost", "topsis", "wsm",
             "budget", "kelurahan_cap", "eligibility", "warning", "info", "listed_not_slum", "<NA>", "nan", "NaN"}
#: English phrases the code used to put into an Indonesian report
GIVEAWAYS = ["ILLUSTRATIVE", "illustrative", "replace with", "work(s)", "equal weights", "robustness", " draws",
             "method topsis", "on scores", "funding:", "costs:", "as given by the user", "Slum", "Source",
             "Budget", "Location", "Rank", "Why", "Funded", "Year", "P(top", "x budget", "swept point"]


def _patterns(lang="id"):
    """Every catalogue text of ``lang`` as a regex (``{placeholders}`` match anything)."""
    out = []

    def walk(d):
        for v in d.values():
            if isinstance(v, dict):
                walk(v)
            else:
                parts = re.split(r"\{[^}]*\}", str(v))
                out.append(re.compile(".+?".join(re.escape(p) for p in parts)))
    walk(catalogue(lang))
    return out


ID_TEXTS = _patterns("id")


def _from_catalogue(text: str) -> bool:
    text = re.sub(r" \d{4}$", "", text)  # "Luas kumuh tersisa (ha) 2018"
    return any(p.fullmatch(text) for p in ID_TEXTS)


def _headers(page: str) -> list[str]:
    return [html.unescape(h).strip() for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", page, re.S)]


def _cells(page: str) -> list[str]:
    return [html.unescape(c).strip() for c in re.findall(r"<td(?:\s[^>]*)?>(.*?)</td>", page, re.S)]


def _assert_indonesian_tables(page: str, allowed_headers=()):
    bad = [h for h in _headers(page) if h and not h.isdigit() and h not in allowed_headers and not _from_catalogue(h)]
    assert not bad, f"headers not from the id catalogue: {sorted(set(bad))}"
    raw = sorted(set(_cells(page)) & RAW_CODES)
    assert not raw, f"raw codes / English values in Indonesian cells: {raw}"


def _assert_no_giveaways(text: str):
    found = [g for g in GIVEAWAYS if g in text]
    assert not found, f"English in the Indonesian report: {found}"


# ----------------------------------------------------------------------------------------------
# tables for display
# ----------------------------------------------------------------------------------------------
EXPLANATION_COLUMNS = ["location_id", "why", "name", "kelurahan", "kecamatan", "area_ha", "total_score", "slum",
                       "legal", "authority", "status", "funded", "cleared_year", "funded_years", "sources", "spend_rp",
                       "cheapest_clearing_rp", "ha_per_bn", "cutoff_ha_per_bn", "ratio_to_cutoff",
                       "stays_down_to_factor", "leaves_at_factor", "binding", "forced_loss_ha_years", "displaced",
                       "displaced_ha", "enter_extra_rp", "enter_source", "enter_year", "enter_monotone"]


def _explanations() -> pd.DataFrame:
    t = pd.DataFrame({c: [np.nan, np.nan] for c in EXPLANATION_COLUMNS})
    t = t.assign(location_id=["A", "B"], why=["A didanai.", "B tidak didanai."], name=["Kampung A", "Kampung B"],
                 kelurahan="Manggar", kecamatan="Balikpapan Timur", slum=[True, True], legal=[True, False],
                 authority=["city", "central"], status=["cleared", "not_funded"], funded=[True, False],
                 cleared_year=pd.array([2018, None], dtype="Int64"), funded_years=["2018", ""],
                 sources=["apbd_kota apbn dak", ""], binding=["", "budget kelurahan_cap"], displaced=["", "A"],
                 enter_source=["", "csr"], enter_year=[np.nan, 2019.0], enter_monotone=[np.nan, 1.0])
    return t


def test_explanation_table_headers_and_codes_are_indonesian():
    t = display_frame(_explanations(), "id")
    assert all(_from_catalogue(c) for c in t.columns), [c for c in t.columns if not _from_catalogue(c)]
    assert list(t.columns[:2]) == ["ID Lokasi", "Alasan"] and "Status" in t.columns and "Sumber dana" in t.columns
    row = t.iloc[1]
    assert row["Status"] == "tidak didanai" and row["Didanai"] == "tidak" and row["Legalitas lahan"] == "tidak legal"
    assert row["Aturan yang mengikat"] == "anggaran, batas sumber dana per kelurahan"
    assert row["Kewenangan"] == "pemerintah pusat (APBN)" and row["Sumber tambahan dana"] == "CSR"
    assert row["Tahun tambahan dana"] == 2019 and row["Bebas kumuh pada"] == ""  # a year, not 2,019.00; no <NA>
    assert t.iloc[0]["Sumber dana"] == "APBD Kota, APBN, DAK" and t.iloc[0]["Status"] == "didanai dan bebas kumuh"
    # the data keep their names and codes
    assert list(_explanations().columns) == EXPLANATION_COLUMNS


def test_english_display_keeps_english_labels():
    t = display_frame(_explanations(), "en")
    assert "Why" in t.columns and t.iloc[1]["Status"] == "not funded" and t.iloc[1]["Funded"] == "no"


def test_yearly_money_ranks_and_comparison_columns_are_indonesian():
    yearly = pd.DataFrame({"year": [2016, 2017], "label": ["baseline", "end of year"], "slum_locations": [3, 1],
                           "slum_ha": [10.5, 2.0], "water_share_pct": [40.0, 50.0],
                           "sanitation_share_pct": [30.0, 45.0], "spend_rp": [0.0, 1e9]})
    ranks = pd.DataFrame({"location_id": ["A"], "slum_level": pd.Categorical(["sedang"]), "method": ["topsis"],
                          "p_first": [0.5], "p_top_10": [0.9], "rank_median": [1]})
    comp = pd.DataFrame({"scenario": ["base"], "objective": ["hectares"], "status": ["optimal"],
                         "proven_optimal": [True], "cleared_ha_2017": [1.0], "slum_ha_left_2017": [2.0],
                         "n_cleared": [1], "greedy_vs_optimiser": [0.9]})
    for df in (yearly, ranks, comp):
        t = display_frame(df, "id")
        assert all(_from_catalogue(str(c)) for c in t.columns), list(t.columns)
        assert not set(t.astype(str).to_numpy().ravel()) & RAW_CODES
    assert display_frame(yearly, "id")["Keterangan"].tolist() == ["baseline", "akhir tahun"]
    assert "P(10 teratas)" in display_frame(ranks, "id").columns
    assert display_frame(comp, "id").iloc[0]["Tujuan"] == label("objective", "hectares", "id")


# ----------------------------------------------------------------------------------------------
# source labels from a rules file
# ----------------------------------------------------------------------------------------------
def test_source_labels_city_text_as_given_defaults_localised():
    rules = pd.DataFrame({"source": ["apbn", "csr", "dak", "kel_fund"],
                          "label": ["APBN (Kementerian PUPR)", "", "DAK (special allocation fund)", ""],
                          "label_id": ["", "", "DAK (dana alokasi khusus)", ""]})
    idn = source_labels(rules, "id")
    assert idn["apbn"] == "APBN (Kementerian PUPR)"  # the city's own label, as given
    assert idn["dak"] == "DAK (dana alokasi khusus)"  # the file's label for this language first
    assert idn["csr"] == label("evidence", "source_csr", "id")  # no label in the file: the catalogue's name
    assert idn["kel_fund"] == "kel_fund"
    assert source_labels(rules, "en")["dak"] == "DAK (special allocation fund)"


def test_embedded_rules_file_has_indonesian_labels():
    idn = source_labels(DATA / "funding" / "balikpapan_rules_illustrative.csv", "id")
    assert set(idn) == {"apbn", "apbd_prov", "apbd_kota", "dak", "csr", "swadaya"}
    _assert_no_giveaways(" ".join(idn.values()))
    for w in ("incl.", "community self-help", "private companies", "special allocation fund"):
        assert w not in " ".join(idn.values())
    assert "swadaya masyarakat" in idn["swadaya"] and "BKM/LKM" in idn["apbn"]
    en = source_labels(DATA / "funding" / "balikpapan_rules_illustrative.csv", "en")
    assert en["csr"] == "CSR (private companies)"


# ----------------------------------------------------------------------------------------------
# data status, ranking notes, consistency findings
# ----------------------------------------------------------------------------------------------
def test_data_status_line_is_indonesian(tmp_path):
    from kotaku_decide.allocate import prepare
    from kotaku_decide.data.scenario import load_scenario
    from kotaku_decide.hearing.run import data_status

    inp = prepare(load_scenario(DATA / "scenarios" / "balikpapan.yaml"))
    s = data_status(inp, "id")
    assert "SINTETIS" in s and "ILUSTRATIF" in s and "harga satuan" in s and "pendanaan" in s
    _assert_no_giveaways(s)
    assert "SYNTHETIC" in data_status(inp, "en") and "ILLUSTRATIVE" in data_status(inp, "en")
    # a city's own note on its budget file is its text and is shown as given
    budget = tmp_path / "budget.csv"
    budget.write_text("# APBD murni 2017-2019 sesuai Perda APBD\n"
                      + (DATA / "funding" / "balikpapan_budget_illustrative.csv").read_text(encoding="utf-8")
                      .split("\n", 1)[1], encoding="utf-8")
    inp2 = prepare(load_scenario(DATA / "scenarios" / "balikpapan.yaml", data={"budget": str(budget)}))
    assert "APBD murni 2017-2019 sesuai Perda APBD" in data_status(inp2, "id")


@pytest.fixture(scope="module")
def scored():
    from kotaku_decide.data.validate import load_baseline
    from kotaku_decide.score.scoring import score_table

    rows = [location(f"L{i}", shares={c: 10 * i for c in ("1a", "2a", "3a", "4a", "5a", "6a", "7a", "2b", "3b")})
            for i in range(1, 8)]
    import tempfile
    from pathlib import Path

    return score_table(load_baseline(write_csv(Path(tempfile.mkdtemp()), rows)))


def test_ranking_notes_are_indonesian(scored, tmp_path):
    from kotaku_decide.data.profiles import load_profile
    from kotaku_decide.rank.api import rank_locations

    prof = load_profile("permen-14-2018")
    _, notes = rank_locations(scored, prof, "topsis", draws=20, seed=1, quiet=True, lang="id")
    text = "; ".join(notes)
    assert "metode topsis atas skor" in text and "bobot sama" in text and "kekokohan: 20 undian" in text
    _assert_no_giveaways(text)
    _, en = rank_locations(scored, prof, "topsis", draws=20, seed=1, quiet=True)
    assert en[:2] == ["method topsis on scores", "equal weights (the official weighting)"]
    assert en[2].startswith("robustness: 20 draws, topsis on scores, weights uniform on the simplex")
    w = tmp_path / "w.csv"
    w.write_text("aspect,weight\n" + "\n".join(f"{a},2" for a in dict.fromkeys(prof.criteria["aspect"])))
    _, notes = rank_locations(scored, prof, "wsm", weights_file=w, quiet=True, lang="id")
    assert "bobot aspek dari w.csv berjumlah 14; dinormalisasi menjadi 1" in notes[1], notes
    _, notes = rank_locations(scored, prof, "official", quiet=True, lang="id")
    assert notes[0].startswith("peringkat resmi: skor total")


def test_consistency_findings_are_indonesian(tmp_path):
    from kotaku_decide.data.profiles import load_profile
    from kotaku_decide.data.validate import load_baseline
    from kotaku_decide.score.consistency import consistency_report
    from kotaku_decide.score.scoring import score_table

    rows = [location("A", shares={"1a": 30}, decree_listed="ya", decree="SK 1/2020", published_score=18),
            location("B", shares={c: 60 for c in CODES}, decree_listed="tidak", published_score=48,
                     published_class="C1")]
    s = score_table(load_baseline(write_csv(tmp_path, rows)))
    prof = load_profile("permen-14-2018")
    c = consistency_report(s, prof, lang="id")
    en = consistency_report(s, prof)
    assert c[["location_id", "check", "severity"]].equals(en[["location_id", "check", "severity"]])
    msgs = " | ".join(c["message"])
    assert "tercantum dalam SK 1/2020" in msgs and "ambang kumuh 16" in msgs and "tidak tercantum dalam SK" in msgs
    for w in ("listed in", "published", "computed", "differs", "but", "score"):
        assert w not in msgs, w
    assert "listed in SK 1/2020 but its computed score 1 is below the slum threshold of 16 under permen-14-2018" in \
        " | ".join(en["message"])
    page = display_frame(c, "id").to_html()
    _assert_indonesian_tables(page)
    md = markdown_summary(s, prof, "id", consistency=c)
    assert "| ID Lokasi | Lokasi | Kelurahan | Pemeriksaan | Tingkat | Temuan |" in md and "peringatan" in md
    assert "| Tabel | Baris | Sumber rujukan |" in md or "Nilai bawaan" not in md


# ----------------------------------------------------------------------------------------------
# the hearing report itself (a small synthetic city, explanations off: a few seconds)
# ----------------------------------------------------------------------------------------------
def _small_hearing(tmp_path, explain: bool, write: bool):
    from kotaku_decide.allocate.synthetic import make_instance
    from kotaku_decide.data.scenario import load_scenario
    from kotaku_decide.hearing.run import run_scenario

    over = make_instance(10, tmp_path / "inst", seed=7)
    over.update({"description": "Skenario uji", "ranking": {"draws": 50},
                 "solver": {"time_limit_s": 20}, "report": {"explain": explain, "explain_time_limit_s": 2.0}})
    return run_scenario(load_scenario(over), tmp_path / "out", lang="id", write=write)


def _render(hr) -> tuple[str, str]:
    """(HTML of every table, the Markdown text) of the report's sections."""
    from kotaku_decide.hearing.sections import SECTIONS, section

    tables, text = [], []
    for k in SECTIONS:
        for o in section(hr, k):
            data = getattr(o, "data", None)
            if isinstance(data, str):
                (tables if data.lstrip().startswith("<table") else text).append(data)
    return "\n".join(tables), "\n".join(text)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return _small_hearing(tmp_path_factory.mktemp("i18n"), explain=False, write=False)


def test_hearing_sections_have_no_english(small):
    tables, text = _render(small)
    _assert_indonesian_tables(tables)
    # the provenance column's text is the data's own (here: SYNTHETIC ...): leave it out of the check
    own = [p for p in small.provenance if p.startswith(label("text", "provenance", "id") + ":")]
    # the parameters section quotes the scenario's own YAML (data keys and paths) verbatim
    page = tables + re.sub(r"```yaml.*?```", "", text, flags=re.S)
    for p in own:
        page = page.replace(html.escape(p), "")
    _assert_no_giveaways(page)
    assert "metode topsis atas skor" in text and "Pagu tahunan (Rp) ILUSTRATIF" in page
    assert "Sumber dana" in tables and "akhir tahun" in tables and "Kementerian PUPR" in tables


def test_summary_sheet_values_are_indonesian(small):
    from kotaku_decide.hearing.run import _summary_sheet

    s = _summary_sheet(small).set_index(label("hearing", "item", "id"))[label("hearing", "value", "id")]
    assert s[label("hearing", "objective", "id")] == label("objective", "hectares", "id")
    assert s[label("hearing", "proven_optimal", "id")] in ("ya", "tidak")
    assert "," in s[label("hearing", "gap", "id")] and s[label("hearing", "gap", "id")].endswith(" %")
    # rupiah with the Indonesian thousands separator, recomputed from the key figures
    spent = small.key_figures["spent_rp"]
    assert s[label("hearing", "spent_rp", "id")] == f"{spent:,.0f}".replace(",", ".")


def test_comparison_page_is_indonesian(tmp_path):
    from kotaku_decide.hearing.comparison import write_comparison

    for n, funded in (("base", ["A", "B"]), ("cut", ["A"])):
        kf = {"name": n, "description": "", "profile": "permen-14-2018", "objective": "hectares", "status": "optimal",
              "proven_optimal": True, "gap": 0.0, "slum_ha_baseline": 10.0, "cleared_ha_by_year": {"2017": 4.0},
              "slum_ha_left_by_year": {"2017": 6.0}, "households_water_served": 5.0,
              "households_sanitation_served": 6.0, "budget_rp": 1e9, "spent_rp": 9e8, "left_rp": 1e8,
              "funded_locations": funded, "cleared_locations": funded, "greedy_vs_optimiser": 0.9,
              "provenance": ["DATA SINTETIS"]}
        (tmp_path / n).mkdir()
        (tmp_path / n / "summary.json").write_text(json.dumps(kf))
    write_comparison(tmp_path, ["base", "cut"], lang="id")
    page = (tmp_path / "comparison.html").read_text()
    _assert_indonesian_tables(page, allowed_headers=("base", "cut"))  # scenario names are the user's
    assert "Luas kumuh tertangani s.d. 2017 (ha)" in page and "<td>ya</td>" in page
    assert pd.read_csv(tmp_path / "comparison.csv").columns[0] == "scenario"  # the data keep their names


def test_location_map_axes_are_indonesian(small):
    from kotaku_decide.hearing.figures import location_map

    s = small.scored.assign(lat=np.linspace(-1.2, -1.3, len(small.scored)), lon=116.9)
    ax = location_map(s, "id").axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Bujur", "Lintang")


# ----------------------------------------------------------------------------------------------
# the explorer widget
# ----------------------------------------------------------------------------------------------
def _widget_texts(w) -> list[str]:
    out = []
    for attr in ("description", "value"):
        v = getattr(w, attr, None)
        if isinstance(v, str) and v and not re.fullmatch(r"[\d.]+|permen-[\d-]+|hectares|households", v):
            out.append(re.sub(r"<[^>]+>", "", v))
    for o in getattr(w, "options", ()) or ():
        if isinstance(o, tuple):
            out.append(o[0])
    for c in getattr(w, "children", ()):
        out += _widget_texts(c)
    return out


def test_explorer_widget_controls_are_indonesian():
    pytest.importorskip("ipywidgets")
    from kotaku_decide.hearing.explorer import BudgetExplorer

    ex = BudgetExplorer(sweep_points=0, lang="id")
    # a stand-in for the precomputed sweep (no solves): two points
    ex.sweep = pd.DataFrame({"factor": [0.5, 1.0], "total_budget_rp": [26e9, 53e9], "cleared_ha": [100.0, 338.7],
                             "households_served": [1000.0, 5000.0], "status": ["optimal", "optimal"], "gap": [0.0, 0.0],
                             "entered": ["", "BPN-P01"], "left": ["", ""]})
    texts = _widget_texts(ex.widget())
    joined = " | ".join(texts)
    for want in ("× anggaran", "Terapkan", "Tujuan", "Profil regulasi", "Pagu per sumber dana", "APBD Kota",
                 "luas kumuh tertangani terbesar"):
        assert want in joined, want
    for english in ("x budget", "Apply", "objective", "regulation", "Rp billion", "apbd_kota"):
        assert english not in texts and english not in joined, english
    point = ex.point_table(0.6)
    assert list(point.columns) == [label("explorer", "swept_point", "id")]
    assert all(_from_catalogue(i) for i in point.index), list(point.index)
    assert point.loc[label("columns", "status", "id")].item() == "optimal"


def test_explorer_apply_shows_indonesian_result():  # one re-solve of the embedded city: a few seconds
    from kotaku_decide.hearing.explorer import BudgetExplorer

    ex = BudgetExplorer(sweep_points=0, lang="id")
    res = ex.solve()
    t = ex.result_table(res)
    assert all(_from_catalogue(i) for i in t.index) and t.iloc[0, 0] == "optimal"
    _assert_indonesian_tables(display_frame(res.yearly, "id").to_html())


# ----------------------------------------------------------------------------------------------
# end to end with explanations and files (slow: the explanations re-solve the plan)
# ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_full_indonesian_hearing_with_explanations(tmp_path):
    hr = _small_hearing(tmp_path, explain=True, write=True)
    tables, text = _render(hr)
    _assert_indonesian_tables(tables)
    assert label("columns", "why", "id") in tables and label("columns", "cheapest_clearing_rp", "id") in tables
    summary = pd.read_excel(tmp_path / "out" / "results.xlsx", sheet_name="summary")
    assert list(summary.columns) == [label("hearing", "item", "id"), label("hearing", "value", "id")]
    assert not set(summary.iloc[:, 1].astype(str)) & RAW_CODES
    # the CSV files keep the data names and codes
    ex = pd.read_csv(tmp_path / "out" / "explanations.csv")
    assert list(ex.columns[:2]) == ["location_id", "why"] and set(ex["status"]) <= {
        "cleared", "not_slum", "not_funded", "works_not_cleared", "works_not_slum", "locked_out"}
