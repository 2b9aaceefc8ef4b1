"""A two-location city, a plan and realised works, small enough to compute every figure by hand.

Every denominator is 100 (area 10 ha, 100 households), so a volume is its share [%].
L1: 2b 80 % (score 5), 3a 60 % (3), 5a 90 % (5), 7b 80 % (5): total 18, kumuh ringan (slum from 16).
L2: 2b 30 % (1): total 1, not slum.
"""

import pandas as pd
from kd_testutil import location

from kotaku_decide.data.validate import load_baseline

YEARS = [2017, 2018, 2019]
SOURCES = ["apbn", "apbd_kota", "csr"]

PLAN_ROWS = [  # location, criterion, option, quantity, year, source, cost
    ("L1", "2b", "lt25", 60, 2017, "apbn", 100.0),
    ("L1", "3a", "lt25", 40, 2017, "apbd_kota", 40.0),
    ("L1", "5a", "lt51", 40, 2018, "apbn", 30.0),
    ("L1", "5a", "lt51", 40, 2018, "csr", 10.0),
    ("L1", "7b", "lt25", 80, 2019, "apbn", 80.0),
]
REALISED_ROWS = [  # location, criterion, year, volume, cost, source
    ("L1", "2b", 2017, 60, 100.0, "apbn"),     # done on time and on cost
    ("L1", "3a", 2018, 40, 50.0, "apbd_kota"),  # late (planned 2017), over cost (50 > 40 x 1.05)
    ("L1", "5a", 2018, 20, 10.0, "csr"),        # behind (20 of 40), under cost (10 < 20 x 0.95)
    ("L2", "2b", 2017, 10, 5.0, "csr"),         # not in the plan
]


def baseline(make_csv):
    return load_baseline(make_csv([location("L1", {"2b": 80, "3a": 60, "5a": 90, "7b": 80}),
                                   location("L2", {"2b": 30})]))


def plan() -> pd.DataFrame:
    return pd.DataFrame(PLAN_ROWS, columns=["location_id", "criterion", "option", "quantity", "year", "source",
                                            "cost_rp"])


def realised() -> pd.DataFrame:
    return pd.DataFrame(REALISED_ROWS, columns=["location_id", "criterion", "year", "volume", "cost_rp", "source"])
