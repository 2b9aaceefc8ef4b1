"""The progress layer: from a plan to what was actually built, year by year.

- :mod:`.condition`: end condition (kumuh akhir) per location and year after works, re-scored with the
  profile, cleared under the profile's clearance rule; the 100-0-100 indicators per year;
- :mod:`.compare`: plan against actual per work, per location and source, per source and year;
- :mod:`.replan`: realised works before a year as fixed works and money spent (input to re-planning);
- :mod:`.api`: :func:`track_progress` (pure) and :func:`load_progress_inputs` (files);
- :mod:`.report`: the progress report (HTML, Excel, figures) in English and Bahasa Indonesia.

It sits after ``allocate`` (it reads the plan the allocation writes) and before ``evidence``.
"""

from .api import ProgressResult, load_progress_inputs, track_progress
from .replan import FixedPast, fixed_past

__all__ = ["track_progress", "load_progress_inputs", "ProgressResult", "fixed_past", "FixedPast"]
