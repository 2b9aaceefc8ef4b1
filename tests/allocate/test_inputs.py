"""Preparing an allocation input (kotaku_decide.allocate.inputs): scenario rules that cannot hold are
refused before solving, each named."""

from __future__ import annotations

import pytest
from helpers import ALLOC_SITE, FIXED_11, location


def test_precedence_with_unknown_criteria_and_non_slum_lock_refused_before_solving(case):
    from kotaku_decide.data.scenario import ScenarioError

    locs = [location("A", site=ALLOC_SITE, area_ha=5, vols={**FIXED_11, "2b": 800}),
            location("N", site=ALLOC_SITE, area_ha=3, kelurahan="K2", vols={"6a": 30})]
    with pytest.raises(ScenarioError) as e:
        case(locs, {("city", 2017): 30e6}, rules={"precedence": [{"before": ["4x"], "after": ["2b"]}],
                                                  "locked_in": ["N"]})
    msg = str(e.value)
    assert "rules.precedence[0].before: unknown criterion code(s) ['4x']" in msg and "4a" in msg
    assert "rules.locked_in" in msg and "N (score " in msg and "is not a slum location" in msg
