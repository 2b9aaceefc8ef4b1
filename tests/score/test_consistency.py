"""Decree against computed scores (kotaku_decide.score.consistency.consistency_report)."""

import time

import numpy as np
import pandas as pd
from helpers import CODES, location

from kotaku_decide.data.validate import load_baseline
from kotaku_decide.score.consistency import consistency_report
from kotaku_decide.score.scoring import score_table


def test_consistency_report_is_vectorised_and_fast():
    n = 200_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"location_id": np.arange(n).astype(str), "name": "x", "kelurahan": "k",
                       "total_score": rng.integers(0, 60, n),
                       "published_score": rng.integers(0, 60, n).astype(float),
                       "decree_listed": rng.random(n) < 0.5, "decree": "SK"})
    df["slum_level"] = np.where(df["total_score"] >= 38, "sedang", np.where(df["total_score"] >= 16, "ringan",
                                                                             "tidak_kumuh"))
    t0 = time.perf_counter()
    c = consistency_report(df)
    assert time.perf_counter() - t0 < 10
    want = int(((df["decree_listed"]) & (df["total_score"] < 16)).sum())
    assert (c["check"] == "listed_not_slum").sum() == want
    assert (c["check"] == "published_score_differs").sum() == int((df["total_score"] != df["published_score"]).sum())


def test_consistency_report_on_scored_data_compares_published_scores(make_csv):
    rows = [location("A", shares={"1a": 30}, decree_listed="ya", decree="SK 1/2020", published_score=18),
            location("B", shares={c: 60 for c in CODES}, decree_listed="tidak", published_score=48,
                     published_class="C1")]
    s = score_table(load_baseline(make_csv(rows)))
    c = consistency_report(s)
    got = set(zip(c["location_id"], c["check"]))
    # A: total 1, listed -> listed_not_slum; published 18 != 1. B: total 48 = published (no finding);
    # sedang but class C1 -> letter mismatch; not listed but sedang -> slum_not_listed
    assert got == {("A", "listed_not_slum"), ("A", "published_score_differs"), ("B", "published_class_letter"),
                   ("B", "published_class_differs"), ("B", "slum_not_listed")}
