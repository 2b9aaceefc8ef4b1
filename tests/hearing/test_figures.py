import matplotlib
import pytest
from helpers import DATA

from kotaku_decide.data.writers import save_figure
from kotaku_decide.hearing.figures import LEVEL_COLOURS, hectares_by_kecamatan, location_map, score_distribution
from kotaku_decide.score.pipeline import score_file


@pytest.fixture(scope="module")
def res():
    return score_file(DATA / "balikpapan_2016_baseline.csv")


def test_hectares_by_kecamatan_bars_add_up(res):
    fig = hectares_by_kecamatan(res.scored, "id")
    ax = fig.axes[0]
    widths = sum(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(res.scored["area_ha"].sum())
    assert "kumuh sedang" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(ax.get_yticklabels()) == res.scored["kecamatan"].nunique()


def test_score_distribution_counts_every_location(res):
    fig = score_distribution(res.scored, res.profile)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches if p.get_height() > 0 and p.get_width() == pytest.approx(1.0)]
    assert sum(heights) == len(res.scored)


def test_location_map_and_save(res, tmp_path):
    fig = location_map(res.scored)
    colours = {matplotlib.colors.to_hex(c.get_facecolor()[0]) for c in fig.axes[0].collections}
    assert colours <= set(LEVEL_COLOURS.values())
    p = tmp_path / "map.png"
    save_figure(fig, p)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="lat/lon"):
        location_map(res.scored.drop(columns=["lat", "lon"]))
