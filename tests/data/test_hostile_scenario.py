"""Hostile and careless scenario files, YAML and funding tables: every case a named error with the key path
(or row and column), a warning, or a correct result. Issue 15, classes "inputs silently dropped or accepted
out of range" and "runs that cannot be bounded" (YAML alias bombs)."""

import csv
import time
import warnings
from pathlib import Path

import pytest
import yaml
from helpers import DATA, REPO

from kotaku_decide.data.bounds import BOUNDS_PATH, BoundError, bound, bounds, check_number, markdown_table
from kotaku_decide.data.safeyaml import YamlError, load_yaml, loads_yaml
from kotaku_decide.data.scenario import ScenarioError, default_scenario, load_scenario

BOMB = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
                 + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]) + "\n"


def refused(overrides, *fragments):
    with pytest.raises(ScenarioError) as ei:
        load_scenario(overrides)
    msg = str(ei.value)
    for f in fragments:
        assert f in msg, msg
    return msg


# ------------------------------------------------------------------------------------------------
# numbers: NaN, infinity, negative factors, costs the catalogue itself refuses
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("section,key,value", [("funding", "budget_factor", float("nan")),
                                               ("solver", "time_limit_s", float("inf")),
                                               ("costs", "price_index", float("nan")),
                                               ("objective", "discount_rate", float("-inf")),
                                               ("objective", "target_hectares", float("nan"))])
def test_non_finite_numbers_are_refused(section, key, value):
    refused({section: {key: value}}, f"{section}.{key}: {value!r} is not a finite number")


def test_yaml_nan_and_inf_spellings_are_refused(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("funding:\n  budget_factor: .nan\nsolver:\n  time_limit_s: .inf\n")
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    assert "funding.budget_factor: nan" in str(ei.value) and "solver.time_limit_s: inf" in str(ei.value)


@pytest.mark.parametrize("factor", [-1, 0, -0.5])
def test_location_factors_at_or_below_zero_are_refused(factor):
    refused({"costs": {"location_factor": {"BPN-01": factor}}}, "costs.location_factor.BPN-01",
            "expected above 0")


@pytest.mark.parametrize("cost", [-5_000_000, 0])
def test_unit_cost_overrides_follow_the_catalogue_rule(cost):
    refused({"costs": {"location_unit_cost": {"BPN-01": {"W2b-paving": cost}}}},
            "costs.location_unit_cost.BPN-01.W2b-paving", "expected above 0")


def test_unit_cost_override_must_be_a_number():
    refused({"costs": {"location_unit_cost": {"BPN-01": {"W2b-paving": "cheap"}}}},
            "costs.location_unit_cost.BPN-01.W2b-paving: expected a number")


def test_a_location_id_holding_dots_is_still_bounded():
    refused({"costs": {"location_factor": {"RT.01.02": -2}}}, "costs.location_factor.RT.01.02")


def test_negative_source_factor_is_refused():
    refused({"funding": {"source_factor": {"csr": -2}}}, "funding.source_factor.csr", "at least 0")


def test_valid_cost_overrides_are_accepted_and_kept():
    sc = load_scenario({"costs": {"location_factor": {"BPN-01": 1.25},
                                  "location_unit_cost": {"BPN-01": {"W2b-paving": 450000}}}})
    assert sc["costs.location_factor"] == {"BPN-01": 1.25}
    assert sc["costs.location_unit_cost"]["BPN-01"]["W2b-paving"] == 450000


def test_years_outside_1990_2100_and_long_horizons():
    refused({"years": {"start": 2017, "end": 2108}}, "years.end: 2108 is above the bound", "2108 for 2018")
    refused({"years": {"start": 2017, "end": 2090}}, "years: 74 is above the limit", "lift_limits")
    sc = load_scenario({"years": {"start": 2017, "end": 2090}, "lift_limits": ["years.span"]})
    assert sc["years.end"] == 2090


# ------------------------------------------------------------------------------------------------
# limits and their one explicit override
# ------------------------------------------------------------------------------------------------
def test_a_limit_names_its_override_and_lifting_it_works():
    refused({"ranking": {"draws": 50_000}}, "ranking.draws: 50000 is above the limit",
            "list 'ranking.draws' under lift_limits")
    assert load_scenario({"ranking": {"draws": 50_000}, "lift_limits": ["ranking.draws"]})["ranking.draws"] == 50_000


def test_lifting_only_lifts_the_upper_end():
    refused({"solver": {"time_limit_s": 0.001}, "lift_limits": ["solver.time_limit_s"]},
            "solver.time_limit_s: 0.001 is below the bound")


@pytest.mark.parametrize("key,fragment", [("funding.budget_factor", "is a hard bound"),
                                          ("ranking.draw", "is not a scenario key with a limit"),
                                          ("cli.rank.draws", "is not a scenario key with a limit"),
                                          ("baseline.area_ha", "is not a scenario key with a limit")])
def test_lift_limits_accepts_only_scenario_limits(key, fragment):
    refused({"lift_limits": [key]}, fragment)


def test_bounds_table_is_consistent_and_covers_every_scenario_number():
    table = bounds()
    assert all(b.kind in ("hard", "limit") and b.low <= b.high and b.reason for b in table.values())
    with open(BOUNDS_PATH, encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    assert len(rows) == len(table)  # no key twice

    def numbers(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from numbers(v, f"{prefix}{k}.")
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and k != "schema_version":
                yield f"{prefix}{k}"

    missing = [k for k in numbers(default_scenario()) if bound(k) is None]
    assert missing == []
    for free in ("costs.location_factor.*", "costs.location_unit_cost.*.*", "funding.source_factor.*",
                 "funding.authority_cutoffs_ha[]", "objective.target_hectares", "rules.max_starts_per_year"):
        assert free in table


def test_refusals_page_holds_the_current_bounds_table():
    page = (REPO / "docs" / "refusals.md").read_text(encoding="utf-8")
    table = markdown_table()
    assert table in page, "regenerate the table in docs/refusals.md from bounds.markdown_table()"
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    keys = [line.split("`")[1] for line in rows]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    assert dupes == [], f"listed more than once in docs/refusals.md: {dupes}"


def test_check_number_message_and_non_finite():
    with pytest.raises(BoundError, match=r"--draws: 2000000 is above the limit; expected at most 1,000,000 draws"):
        check_number("cli.rank.draws", 2_000_000, label="--draws")
    check_number("cli.rank.draws", 2_000_000, lifted=True)
    with pytest.raises(BoundError, match="not a finite number"):
        check_number("cli.rank.v", float("nan"))
    with pytest.raises(BoundError, match="expected below 1"):
        check_number("cli.robust.cost_spread", 1.0)


# ------------------------------------------------------------------------------------------------
# YAML that would stop a run another way
# ------------------------------------------------------------------------------------------------
def test_a_1kb_alias_bomb_is_refused_at_once(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text(BOMB)
    assert p.stat().st_size < 1024
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="alias bomb is refused"):
        load_scenario(p)
    assert time.perf_counter() - t0 < 5


def test_a_bomb_inside_a_free_mapping_is_refused(tmp_path):
    # the bomb sits where user keys are allowed (location ids of costs.location_factor)
    p = tmp_path / "bomb2.yaml"
    p.write_text("costs:\n  location_factor:\n" + "".join("    " + line + "\n" for line in BOMB.splitlines()))
    with pytest.raises(ScenarioError, match="alias bomb is refused"):
        load_scenario(p)


@pytest.mark.parametrize("text,fragment", [
    ("a: &a [*a]\n", "contains itself"),
    ("x: " + "[" * 300 + "]" * 300 + "\n", "nested"),
    ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    ("funding:\n  budget_factor: 0.8\nfunding:\n  budget_factor: 1.2\n", "the key 'funding' is given twice"),
    ("funding:\n  budget_factor: 0.8\n  budget_factor: 1.2\n", "line 2 and line 3"),
    ("x: !!python/object/apply:os.system ['touch /tmp/kd_pwned']\n", "could not determine a constructor"),
    ("a: [1, 2\n", "not valid YAML"),
])
def test_hostile_yaml_is_refused_by_name(text, fragment):
    with pytest.raises(YamlError, match=fragment):
        loads_yaml(text, "s.yaml")
    assert not Path("/tmp/kd_pwned").exists()


def test_big_and_binary_yaml_files(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("description: '" + "x" * 1_100_000 + "'\n")
    with pytest.raises(YamlError, match="at most 1,000,000 bytes"):
        load_yaml(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(binary)
    with pytest.raises(ScenarioError, match="is a folder"):
        load_scenario({"data": {"baseline": str(tmp_path)}})


def test_a_scenario_that_is_not_a_mapping(tmp_path):
    p = tmp_path / "list.yaml"
    p.write_text("- funding\n- solver\n")
    with pytest.raises(ScenarioError, match="expected a mapping of overrides"):
        load_scenario(p)


def test_merge_keys_and_small_aliases_still_work(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text("description: &d shared text\nname: *d\nfunding:\n  <<: {budget_factor: 0.8}\n")
    sc = load_scenario(p)
    assert sc["funding.budget_factor"] == 0.8 and sc["name"] == sc["description"] == "shared text"


# ------------------------------------------------------------------------------------------------
# funding tables: nothing vanishes without a word
# ------------------------------------------------------------------------------------------------
def _budget(tmp_path, old, new):
    src = (DATA / "funding" / "balikpapan_budget_illustrative.csv").read_text()
    p = tmp_path / "budget.csv"
    p.write_text(src.replace(old, new))
    return p


def _funding(budget, **kw):
    from kotaku_decide.allocate.funding import load_funding
    from kotaku_decide.data.profiles import load_profile

    return load_funding(budget, DATA / "funding" / "balikpapan_rules_illustrative.csv", load_profile("permen-14-2018"),
                        [2017, 2018, 2019], **kw)


def test_a_mistyped_year_2108_is_refused_with_row_and_column(tmp_path):
    from kotaku_decide.allocate.funding import FundingError

    with pytest.raises(FundingError, match=r"budget row 9, column 'year': found '2108'"):
        _funding(_budget(tmp_path, "apbd_kota,2018", "apbd_kota,2108"))


def test_a_year_outside_the_horizon_is_warned_with_the_year_it_leaves_empty(tmp_path):
    from kotaku_decide.allocate.funding import FundingWarning

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f = _funding(_budget(tmp_path, "apbd_kota,2018", "apbd_kota,2081"))
    msgs = [str(x.message) for x in w if issubclass(x.category, FundingWarning)]
    assert len(msgs) == 1 and "row 9 (apbd_kota 2081: Rp 6,000,000,000)" in msgs[0] and "apbd_kota 2018" in msgs[0]
    i, j = f.sources.index("apbd_kota"), f.years.index(2018)
    assert f.budget_rp[i, j] == 0  # read as written, and said so


def test_a_budget_row_for_a_later_year_is_warned_without_a_gap(tmp_path):
    from kotaku_decide.allocate.funding import FundingWarning

    src = (DATA / "funding" / "balikpapan_budget_illustrative.csv").read_text() + "apbn,2020,4500000000\n"
    p = tmp_path / "b.csv"
    p.write_text(src)
    with pytest.warns(FundingWarning, match=r"row 20 \(apbn 2020") as rec:
        _funding(p)
    assert "no budget row" not in str(rec[0].message)


@pytest.mark.parametrize("kw,fragment", [({"budget_factor": float("nan")}, "funding.budget_factor: nan"),
                                         ({"source_factor": {"csr": -1}}, "funding.source_factor.csr: -1"),
                                         ({"source_factor": {"csr": "x"}}, "expected a number")])
def test_invalid_funding_factors_are_refused(kw, fragment):
    from kotaku_decide.allocate.funding import FundingError

    with pytest.raises(FundingError, match=fragment):
        _funding(DATA / "funding" / "balikpapan_budget_illustrative.csv", **kw)


def test_an_absurd_budget_is_refused(tmp_path):
    from kotaku_decide.allocate.funding import FundingError

    with pytest.raises(FundingError, match="budget row 2, column 'budget_rp'.*10,000 trillion"):
        _funding(_budget(tmp_path, "apbn,2017,4500000000", "apbn,2017,1e300"))


def test_scenario_yaml_dump_of_hostile_text_stays_data():
    sc = load_scenario({"description": "!!python/object/apply:os.system ['x'] &a *a"})
    assert yaml.safe_load(sc.to_yaml())["description"].startswith("!!python")
