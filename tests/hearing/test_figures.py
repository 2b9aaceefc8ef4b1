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


def test_placed_labels_as_drawn_keep_clear_of_each_other_the_points_and_the_obstacles():
    """place_labels measures each label once and moves that box to each candidate position; the labels
    it places, measured again as matplotlib draws them, stay inside the axes, overlap no other label or
    obstacle, and cover no labelled point (a SYNTHETIC crowd of 40 points in a small square)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.text import Annotation, Text

    from kotaku_decide.hearing.maps import place_labels

    rng = np.random.default_rng(7)
    pts = np.vstack([rng.uniform(0, 10, size=(40, 2)), [[12.5, 5.0]]])  # the last point lies outside the axes
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.scatter(pts[:, 0], pts[:, 1], s=4)
    ax.set_xlim(-1, 11)
    ax.set_ylim(-1, 11)
    obstacle = ax.text(5, 5, "KECAMATAN", fontsize=11, ha="center", va="center")
    texts = [f"BPN-{k:03d}" for k in range(len(pts))]
    failed = place_labels(ax, pts, texts, obstacles=[obstacle])
    assert len(pts) - 1 in failed  # matplotlib would not draw it: it is reported as not placed
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    anns = [a for a in ax.texts if isinstance(a, Annotation)]
    assert len(anns) + len(failed) == len(pts) and 0 < len(anns)
    assert sorted([a.get_text() for a in anns] + [texts[i] for i in failed]) == sorted(texts)
    box = ax.get_window_extent(r)
    pix = ax.transData.transform(pts)
    drawn = [Text.get_window_extent(a, r) for a in anns]  # the text's box (a leader line reaches its point)
    obst = obstacle.get_window_extent(r)
    # the box place_labels computed for each label (measured once, moved by its offset and alignment) is
    # where matplotlib draws it
    ppt = fig.dpi / 72.0
    at = {t: k for k, t in enumerate(texts)}
    for a, b in zip(anns, drawn):
        x, y = pix[at[a.get_text()]] + np.asarray(a.xyann) * ppt
        fx = {"left": 0.0, "center": 0.5, "right": 1.0}[a.get_ha()]
        fy = {"bottom": 0.0, "center": 0.5, "top": 1.0}[a.get_va()]
        assert abs(b.x0 - (x - fx * b.width)) < 0.5 and abs(b.y0 - (y - fy * b.height)) < 0.5, a.get_text()
    for k, b in enumerate(drawn):
        assert box.x0 - 0.5 <= b.x0 and b.x1 <= box.x1 + 0.5 and box.y0 - 0.5 <= b.y0 and b.y1 <= box.y1 + 0.5
        assert not b.overlaps(obst), anns[k].get_text()
        assert not any(b.contains(x, y) for x, y in pix), anns[k].get_text()
        for j in range(k):
            assert not b.overlaps(drawn[j]), (anns[k].get_text(), anns[j].get_text())
    plt.close(fig)
