"""Figures: return Figures, use the labels given, show the requested rows."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

from kotaku_decide.rank.figures import criteria_heatmap, method_comparison_chart, rank_interval_chart


@pytest.fixture
def smaa_table():
    return pd.DataFrame({
        "name": ["Manggar", "Teritip", "Sepinggan", "Damai"],
        "rank_median": [3, 1, 2, 4], "rank_p05": [1, 1, 1, 2], "rank_p95": [4, 2, 4, 4],
        "rank_mean": [2.9, 1.2, 2.1, 3.8],
    })


def _texts(fig):
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels() + ax.texts]
    return out


def test_rank_interval_chart_sorted_and_labelled(smaa_table, tmp_path):
    fig = rank_interval_chart(smaa_table, label_col="name", top=3, title="Kepastian peringkat",
                              xlabel="Peringkat (1 = ditangani dulu)")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Teritip", "Sepinggan", "Manggar"]
    assert ax.get_title() == "Kepastian peringkat"
    assert ax.get_xlabel() == "Peringkat (1 = ditangani dulu)"
    fig.savefig(tmp_path / "ranks.png")
    assert (tmp_path / "ranks.png").stat().st_size > 0


def test_criteria_heatmap_groups_by_aspect(tmp_path):
    crit = pd.DataFrame({"code": ["1a", "1b", "3a"], "aspect": ["building", "building", "water"]})
    t = pd.DataFrame({"name": ["A", "B"], "score_1a": [5, 0], "score_1b": [3, 1], "score_3a": [0, 5]},
                     index=[10, 11])
    fig = criteria_heatmap(t, crit, aspect_labels={"water": "Air minum", "building": "Bangunan"},
                           order=[11, 10], title="Skor kriteria")
    texts = [t.replace("\n", " ") for t in _texts(fig)]  # long aspect names are wrapped
    assert "Air minum" in texts and "Bangunan" in texts and "Skor kriteria" in texts
    assert [x.get_text() for x in fig.axes[0].get_yticklabels()] == ["B", "A"]
    fig.savefig(tmp_path / "heat.png")


def test_method_comparison_chart(tmp_path):
    r = pd.DataFrame({"official": [1, 2, 3, 4], "topsis": [2, 1, 3, 4]})
    fig = method_comparison_chart(r, labels=["A", "B", "C", "D"], top=2,
                                  method_labels={"official": "Resmi"}, ylabel="Peringkat")
    texts = _texts(fig)
    assert "Resmi" in texts and "Peringkat" in texts
    assert {"A", "B"} <= set(texts) and "C" not in texts  # only locations in a top 2
    fig.savefig(tmp_path / "methods.png")


def test_missing_columns_raise(smaa_table):
    from kotaku_decide.rank import RankInputError
    with pytest.raises(RankInputError):
        rank_interval_chart(smaa_table.drop(columns="rank_p95"))
