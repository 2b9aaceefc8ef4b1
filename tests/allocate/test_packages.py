"""The cheapest clearing package against a brute force over every choice of options."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from kotaku_decide.allocate.packages import cheapest_package, package_from_arrays

PREC = [(("drain",), ("road", "path"))]


def _instance(rng):
    crits = ["drain", "road", "path", "water", "waste"]
    rows = []
    for c in rng.choice(crits, size=rng.integers(1, 6), replace=False):
        for _ in range(rng.integers(1, 4)):
            rows.append((str(c), int(rng.integers(1, 7)), float(rng.integers(1, 40))))
    if rng.random() < 0.5:
        rows.append(("resettlement", 0, float(rng.integers(20, 120))))
    if rng.random() < 0.7:
        rows.append(("legalisation", 0, float(rng.integers(1, 15))))
    df = pd.DataFrame(rows, columns=["criterion", "delta_score", "cost_rp"])
    df.index = rng.permutation(np.arange(100, 100 + len(df)))  # labels are not positions
    return df


def _brute(df, need, legal, exclude=(), prec=PREC):
    """Cheapest cost by enumerating every choice (none or one option per criterion)."""
    best = np.inf
    res = df[df["criterion"] == "resettlement"]
    if len(res):
        best = float(res["cost_rp"].iloc[0])
    leg = df[df["criterion"] == "legalisation"]
    if not legal and leg.empty:
        return best
    extra = 0.0 if legal else float(leg["cost_rp"].iloc[0])
    ins = df[~df["criterion"].isin(["resettlement", "legalisation"] + list(exclude))]
    crits = sorted(set(ins["criterion"]))
    choices = [[None] + list(ins.index[ins["criterion"] == c]) for c in crits]
    for pick in itertools.product(*choices):
        chosen = [p for p in pick if p is not None]
        if not chosen:
            continue
        cs = set(df.loc[chosen, "criterion"])
        # rule by rule: at a site with options for the rule's `before`, an `after` work needs a `before` one
        if any(set(b) & set(crits) and cs & set(a) and not cs & set(b) for b, a in prec):
            continue
        if df.loc[chosen, "delta_score"].sum() < need:
            continue
        best = min(best, float(df.loc[chosen, "cost_rp"].sum()) + extra)
    return best


def _check_labels(df, need, legal, cost, labels, exclude=(), prec=PREC):
    """The returned options are a valid package whose cost is the returned cost."""
    if not np.isfinite(cost):
        assert labels == []
        return
    sub = df.loc[labels]
    assert sub["cost_rp"].sum() == pytest.approx(cost, abs=1e-9)
    cs = list(sub["criterion"])
    if "resettlement" in cs:
        assert cs == ["resettlement"]
        return
    assert len(set(cs)) == len(cs), "one option per criterion"
    assert not (set(cs) & set(exclude))
    assert legal or "legalisation" in cs
    assert sub["delta_score"].sum() >= need
    site = set(df["criterion"]) - set(exclude) - {"resettlement", "legalisation"}
    for b, a in prec:
        if set(b) & site and set(cs) & set(a):
            assert set(cs) & set(b), (b, a, cs)


@pytest.mark.parametrize("seed", range(120))
def test_cheapest_package_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    df = _instance(rng)
    need = int(rng.integers(0, 14))
    legal = bool(rng.random() < 0.5)
    exclude = ("water",) if seed % 3 == 0 else ()
    cost, labels = cheapest_package(df, need, legal, PREC, costcol="cost_rp", exclude=exclude)
    if need <= 0:
        assert (cost, labels) == (0.0, [])
        return
    assert cost == pytest.approx(_brute(df, need, legal, exclude), abs=1e-9)
    _check_labels(df, need, legal, cost, labels, exclude)
    c2, l2 = package_from_arrays(df["criterion"].to_numpy(), df["delta_score"].to_numpy(),
                                 df["cost_rp"].to_numpy(float), df.index.to_numpy(), need, legal, PREC, exclude)
    assert (c2, list(l2)) == (cost, list(labels))


def test_hand_case_precedence_and_legalisation():
    # need 5: road alone (5 points, 10) breaks precedence at a site with drainage -> drain 2 + road 5 = 16;
    # not legal -> + legalisation 4 = 20; resettlement 25 is dearer
    df = pd.DataFrame({"criterion": ["road", "drain", "legalisation", "resettlement"],
                       "delta_score": [5, 2, 0, 0], "cost_rp": [10.0, 6.0, 4.0, 25.0]}, index=[7, 8, 9, 10])
    cost, labels = cheapest_package(df, 5, False, PREC, costcol="cost_rp")
    assert cost == 20.0 and sorted(labels) == [7, 8, 9]
    cost, labels = cheapest_package(df, 5, True, PREC, costcol="cost_rp")
    assert cost == 16.0 and sorted(labels) == [7, 8]
    cost, labels = cheapest_package(df, 5, True, (), costcol="cost_rp")  # no precedence rule
    assert cost == 10.0 and labels == [7]
    # resettlement wins a tie
    df.loc[10, "cost_rp"] = 16.0
    assert cheapest_package(df, 5, True, PREC, costcol="cost_rp") == (16.0, [10])


#: two rules whose criteria overlap the other's (the case where one merged before/after pair is wrong)
PREC2 = [(("drain",), ("road",)), (("water", "waste"), ("path", "drain"))]


@pytest.mark.parametrize("seed", range(150))
def test_cheapest_package_with_several_precedence_rules(seed):
    rng = np.random.default_rng(1000 + seed)
    df = _instance(rng)
    need = int(rng.integers(1, 14))
    legal = bool(rng.random() < 0.6)
    prec = PREC2 if seed % 2 else PREC2[::-1]
    cost, labels = cheapest_package(df, need, legal, prec, costcol="cost_rp")
    assert cost == pytest.approx(_brute(df, need, legal, prec=prec), abs=1e-9)
    _check_labels(df, need, legal, cost, labels, prec=prec)
