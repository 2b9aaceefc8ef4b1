"""Scoring a file end to end (kotaku_decide.score.pipeline.score_file)."""

import time

from helpers import location

from kotaku_decide.score.pipeline import score_file


def test_many_warnings_do_not_slow_scoring(make_csv):
    rows = [location(f"L{i}", households=5000, population=100) for i in range(3000)]
    t0 = time.perf_counter()
    res = score_file(make_csv(rows))
    took = time.perf_counter() - t0
    assert len(res.validation) >= 3000 and len(res.scored) == 3000
    assert took < 20  # was minutes: attrs with the warnings were deep-copied row by row
