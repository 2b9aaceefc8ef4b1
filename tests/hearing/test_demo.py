import pytest

from kotaku_decide.hearing import demo


@pytest.mark.slow
def test_demo_writes_scores_and_summaries_that_say_synthetic(tmp_path, capsys):
    written = demo.run(tmp_path)
    assert (tmp_path / "progress_balikpapan" / "report_id.html").exists()
    names = {p.name for p in written}
    assert {"scores_permen-14-2018.csv", "scores_permen-14-2018.xlsx", "summary_permen-14-2018_id.md",
            "summary_permen-02-2016_en.md", "consistency.csv"} <= names
    for p in written:
        assert p.exists() and p.stat().st_size > 0
    en = (tmp_path / "balikpapan_2016" / "summary_permen-14-2018_en.md").read_text()
    idn = (tmp_path / "balikpapan_2016" / "summary_permen-14-2018_id.md").read_text()
    assert "SYNTHETIC DATA" in en and "DATA SINTETIS" in idn
    assert "kumuh sedang" in idn
    assert "Apung" in (tmp_path / "balikpapan_2020_decree" / "consistency.csv").read_text()
    assert not list(tmp_path.rglob("*.part"))
