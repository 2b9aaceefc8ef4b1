"""Report labels: one catalogue per language (``en.yaml``, ``id.yaml``).

Code asks for a label by section and key (``label("slum_level", "berat", lang="id")``); no report
string is spread through the code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["catalogue", "label", "LANGUAGES"]

LANGUAGES = ("en", "id")
_HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def catalogue(lang: str = "en") -> dict:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; expected one of {LANGUAGES}")
    with open(_HERE / f"{lang}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def label(section: str, key, lang: str = "en") -> str:
    """The label for ``key`` in ``section``; raises KeyError naming both if absent."""
    sec = catalogue(lang).get(section)
    if sec is None:
        raise KeyError(f"label section {section!r} missing from {lang}.yaml")
    k = str(key).lower() if isinstance(key, bool) else str(key)
    if k not in sec:
        raise KeyError(f"label {section}.{k} missing from {lang}.yaml")
    return sec[k]
