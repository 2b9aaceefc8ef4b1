"""The score layer: the official scoring (Permen PUPR 14/2018, 02/2016), aggregation and consistency checks.

- :mod:`.scoring` scores criteria, totals, levels, priorities, handling patterns and authority;
- :mod:`.consistency` compares published scores and decree lists with the re-computed ones;
- :mod:`.pipeline` does load -> validate -> score in one call (:func:`score_file`).
"""

from .pipeline import ScoredResult, score_file

__all__ = ["score_file", "ScoredResult"]
