"""One vocabulary for the rules: the model's row families, the checker's findings, the evidence's
families and the report labels all use the names of ``allocate.rules.RULES``."""

import re
from pathlib import Path

import yaml

from kotaku_decide.allocate import prepare
from kotaku_decide.allocate.model import RELAXABLE, build_model
from kotaku_decide.allocate.rules import CHECK_KINDS, DEFINITIONS, EXPLAINED, RULES, rule_of_check
from kotaku_decide.evidence.core import FAMILIES

PKG = Path(__file__).resolve().parents[2] / "kotaku_decide"


def test_every_checker_finding_is_a_rule_of_the_table():
    src = (PKG / "allocate" / "checker.py").read_text(encoding="utf-8")
    kinds = set(re.findall(r'Violation\("([a-z_]+)"', src))
    assert len(kinds) > 15  # the pattern finds the checker's findings
    assert kinds <= CHECK_KINDS, sorted(kinds - CHECK_KINDS)
    assert {rule_of_check(k) for k in kinds} <= {r.name for r in RULES}


def test_every_model_row_family_is_a_rule_or_a_definition():
    inp = prepare({"rules": {"max_starts_per_year": 5, "max_starts_per_kelurahan": 2, "equity_min_share": 0.3,
                             "locked_in": ["BPN-P01"]},
                   "funding": {"swadaya_share": 0.1},
                   "objective": {"target_hectares": 10.0}})
    fams = set(build_model(inp).rows)
    assert {"budget", "kelurahan_cap", "precedence", "capacity", "equity", "swadaya_share"} <= fams
    assert fams <= CHECK_KINDS | set(DEFINITIONS), sorted(fams - CHECK_KINDS - set(DEFINITIONS))


def test_relaxable_and_explained_families_come_from_the_table_and_have_labels():
    assert RELAXABLE == tuple(r.name for r in RULES if r.relaxable)
    assert FAMILIES == EXPLAINED
    assert set(RELAXABLE) <= set(EXPLAINED)
    for lang in ("en", "id"):
        labels = yaml.safe_load((PKG / "data" / "labels" / f"{lang}.yaml").read_text(encoding="utf-8"))["binding"]
        assert set(EXPLAINED) <= set(labels), (lang, sorted(set(EXPLAINED) - set(labels)))
    assert len({r.name for r in RULES}) == len(RULES)
