import pandas as pd
import pytest

from kotaku_decide.data.labels import LANGUAGES, catalogue, label
from kotaku_decide.data.profiles import AUTHORITIES, OTHER_CLASSES, SLUM_LEVELS, available_profiles, load_profile
from kotaku_decide.data.writers import atomic_path, escape_formula, write_workbook
from kotaku_decide.hearing.tables import summary_by_level


def _keys(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _keys(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


def test_catalogues_have_the_same_keys():
    assert set(_keys(catalogue("en"))) == set(_keys(catalogue("id")))


def test_every_coded_value_has_a_label_in_both_languages():
    patterns = set()
    for name in available_profiles():
        patterns |= set(load_profile(name).handling["handling_pattern"])
    for lang in LANGUAGES:
        for v in SLUM_LEVELS:
            assert label("slum_level", v, lang)
        for v in OTHER_CLASSES:
            assert label("other_considerations", v, lang)
        for v in AUTHORITIES:
            assert label("authority", v, lang)
        for v in patterns:
            assert label("handling_pattern", v, lang)
        assert label("legal", True, lang) and label("legal", False, lang)
    assert label("slum_level", "berat", "id") == "kumuh berat"


def test_missing_label_names_section_and_key():
    with pytest.raises(KeyError, match="slum_level.extreme"):
        label("slum_level", "extreme")
    with pytest.raises(ValueError, match="fr"):
        catalogue("fr")


@pytest.mark.parametrize("v,want", [("=1+1", "'=1+1"), ("+62", "'+62"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
                                    ("Manggar", "Manggar"), (5, 5)])
def test_formula_injection_is_escaped(v, want):
    assert escape_formula(v) == want


def test_workbook_cells_are_escaped(tmp_path):
    p = tmp_path / "x.xlsx"
    write_workbook({"s": pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "ok"], "n": [-1, 2]})}, p)
    back = pd.read_excel(p, dtype=object)
    assert back["name"].tolist() == ["'=HYPERLINK(\"x\")", "ok"] and back["n"].tolist() == [-1, 2]


def test_atomic_write_keeps_the_old_file_when_a_step_fails(tmp_path):
    p = tmp_path / "out.csv"
    p.write_text("good")
    with pytest.raises(RuntimeError):
        with atomic_path(p) as tmp:
            tmp.write_text("half")
            raise RuntimeError("later step failed")
    assert p.read_text() == "good" and list(tmp_path.iterdir()) == [p]


def test_summary_by_level_counts_and_hectares():
    s = pd.DataFrame({"slum_level": pd.Categorical(["ringan", "ringan", "sedang"], categories=list(SLUM_LEVELS)),
                      "area_ha": [1.5, 2.25, 10.0], "kecamatan": ["A", "B", "A"]})
    t = summary_by_level(s, "id")
    assert t.loc["kumuh ringan"].tolist() == [2, 3.75] and t.loc["kumuh berat"].tolist() == [0, 0]
    assert t.loc["jumlah"].tolist() == [3, 13.75]
