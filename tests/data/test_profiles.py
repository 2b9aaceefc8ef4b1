import shutil

import numpy as np
import pytest

from kotaku_decide.data.profiles import (
    AUTHORITIES,
    OTHER_CLASSES,
    SLUM_LEVELS,
    ProfileError,
    available_profiles,
    load_profile,
)


def test_both_profiles_available():
    assert {"permen-14-2018", "permen-02-2016"} <= set(available_profiles())


def test_permen_14_2018_criteria_as_regulation_numbers_them():
    p = load_profile("permen-14-2018")
    assert p.codes == ("1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a", "6b", "7a", "7b")
    assert p.aspects == ("building", "road", "water", "drainage", "wastewater", "solid_waste", "fire")
    assert p.max_total == 80 and p.slum_threshold == 16
    # denominators per slum-scoring.md section 1
    den = dict(zip(p.criteria["code"], p.criteria["denominator"]))
    assert den["1b"] == "area_ha" and den["4a"] == "area_ha" and den["2a"] == "road_length_ideal_m"
    assert den["4c"] == "drain_length_ideal_m" and den["7b"] == "buildings" and den["6b"] == "households"
    assert (p.criteria["source"] != "").all() and (p.criteria["status"] != "").all()


def test_permen_02_2016_has_19_parameters_and_maps_its_4e_to_the_4c_observation():
    p = load_profile("permen-02-2016")
    assert len(p.codes) == 19 and p.max_total == 95
    keys = dict(zip(p.criteria["code"], p.criteria["input_key"]))
    assert keys["4e"] == "4c" and keys["4c"] == "drain_unconnected" and keys["6c"] == "waste_unmaintained"
    assert list(p.score_values) == [0, 1, 3, 5]  # below 25 % scores 0 since issue 14 (unconfirmed row)


def test_lookup_tables_complete():
    for name in available_profiles():
        p = load_profile(name)
        assert sorted(p.priority["priority"]) == list(range(1, 10))
        assert len(p.priority_class) == 18
        combos = {(r.slum_level, r.other_considerations, bool(r.legal)) for r in p.priority_class.itertuples()}
        assert len(combos) == 18
        assert {(r.slum_level, bool(r.legal)) for r in p.handling.itertuples()} == \
            {(lv, lg) for lv in SLUM_LEVELS for lg in (True, False)}
        assert set(p.authority.labels) == set(AUTHORITIES)
        assert set(p.other_classes.labels) == set(OTHER_CLASSES)


def test_unconfirmed_defaults_are_listed():
    p = load_profile("permen-14-2018")
    unc = p.unconfirmed()
    assert {"density_classes", "other_classes", "priority_class"} <= set(unc["table"])
    p16 = load_profile("permen-02-2016")
    assert "total_bands" in set(p16.unconfirmed()["table"])


def test_city_variant_profile_from_a_folder(tmp_path):
    """A city copies a profile folder, changes a table (authority cut-offs 10-20 / above 20) and loads it."""
    import kotaku_decide.data.profiles as prof_mod

    src = prof_mod._HERE / "permen-14-2018"
    dst = tmp_path / "balikpapan-variant"
    shutil.copytree(src, dst)
    (dst / "authority.csv").write_text(
        "authority,lower_ha,lower_inclusive,status,source\n"
        "city,0,true,unconfirmed,official quote\nprovince,10,true,unconfirmed,q\ncentral,20,false,unconfirmed,q\n")
    p = load_profile(str(dst))
    assert list(p.authority.classify(np.array([9.99, 10, 20, 20.01]))) == ["city", "province", "province", "central"]


def test_unknown_profile_is_refused_with_the_known_names():
    with pytest.raises(ProfileError, match="permen-14-2018"):
        load_profile("permen-99-2030")
