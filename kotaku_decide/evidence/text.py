"""Plain-language formatting for the evidence: money, lists, years (templates in the label catalogues)."""

from __future__ import annotations

import math

from ..data.labels import label

__all__ = ["L", "money", "number", "join", "years_text", "source_name"]


def L(key: str, lang: str = "en") -> str:
    """A template from the ``evidence`` section of the label catalogue."""
    return label("evidence", key, lang)


def number(x: float, digits: int = 1, lang: str = "en") -> str:
    """``1234.5`` -> ``1,234.5`` (en) or ``1.234,5`` (id)."""
    s = f"{x:,.{digits}f}"
    if lang == "id":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def money(rp: float, lang: str = "en") -> str:
    """Rupiah in words a council reads: billions above Rp 1 bn, else millions."""
    if rp is None or (isinstance(rp, float) and math.isnan(rp)):
        return "-"
    if abs(rp) >= 1e9:
        return L("rp_bn", lang).format(x=number(rp / 1e9, 2 if abs(rp) < 1e10 else 1, lang))
    return L("rp_m", lang).format(x=number(rp / 1e6, 0 if abs(rp) >= 1e7 else 1, lang))


def join(items, lang: str = "en") -> str:
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {L('and', lang)} " + items[-1]


def years_text(years, lang: str = "en") -> str:
    """``[2017, 2018]`` -> ``2017-2018``; ``[2017, 2019]`` -> ``2017 and 2019``."""
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return ""
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}-{ys[-1]}"
    return join(ys, lang)


def source_name(source: str, lang: str = "en") -> str:
    """Short name of a funding source (catalogue ``evidence.source_<code>``, else the code in capitals)."""
    try:
        return label("evidence", f"source_{source}", lang)
    except KeyError:
        return str(source).upper()
