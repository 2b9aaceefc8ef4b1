"""A national input split by city: each city's own input, and the envelopes the cities share.

Every pool of money (a source's budget for one scope, :mod:`kotaku_decide.allocate.funding`) either
lies inside one city (APBD Kota, DAK, CSR, swadaya of that city; a province's money when the province
has one city in the data) or is shared by several cities: an *envelope* (APBN for the country, APBD
Provinsi for the cities of a province). A city's input holds its locations, options and rules, its
own pools as its budgets, and for each envelope that covers it a budget given by the caller: the whole
envelope when prices stand in for it (the Lagrangian pricing), the city's share when plans must fit
together (the city MIPs). Rules, equity groups and capacity caps are per city.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..allocate.funding import Funding
from ..allocate.inputs import AllocationInput
from ..data.scenario import Scenario

__all__ = ["NationalSplit", "split_by_city", "with_budget", "NationalError"]


class NationalError(ValueError):
    """A scenario the national solver cannot run (named with what to change)."""


@dataclass
class NationalSplit:
    """The cities of a national input and the envelopes they share.

    Attributes
    ----------
    inp : the national :class:`~kotaku_decide.allocate.inputs.AllocationInput`
    cities : list of city names (sorted)
    province : dict city -> province name ("" if none)
    loc_of_city : dict city -> ndarray of national location positions
    envelopes : list of pool indices (into ``inp.funding.pools``) shared by several cities
    env_source : list of source names per envelope
    env_label : list of scope labels per envelope (``national``, ``province:NAME``)
    env_budget_m : ndarray (envelopes x years) [million Rp]
    env_carry : ndarray of bool per envelope (carry-over: the rows are cumulative)
    env_cities : list per envelope of the cities it covers
    city_envs : dict city -> list of envelope indices covering it
    local_pool : dict city -> dict source -> pool index of the city's own pool of that source
    """

    inp: AllocationInput
    cities: list
    province: dict
    loc_of_city: dict
    envelopes: list
    env_source: list
    env_label: list
    env_budget_m: np.ndarray
    env_carry: np.ndarray
    env_cities: list
    city_envs: dict
    local_pool: dict

    @property
    def years(self) -> list:
        return self.inp.years

    def city_budget(self, city: str, env_budget_m: np.ndarray | None = None) -> np.ndarray:
        """The budgets (sources x years [Rp]) of one city's input: its own pools, and what each envelope
        covering it may pay there (``env_budget_m``, envelopes x years [million Rp]; default: the whole
        envelope)."""
        f = self.inp.funding
        B = np.zeros((len(f.sources), len(f.years)))
        for s, p in self.local_pool[city].items():
            B[f.sources.index(s)] += f.pool_budget_rp[p]
        eb = self.env_budget_m if env_budget_m is None else np.asarray(env_budget_m, float)
        for e in self.city_envs[city]:
            B[f.sources.index(self.env_source[e])] += eb[e] * 1e6
        return B

    def city_input(self, city: str, env_budget_m: np.ndarray | None = None) -> AllocationInput:
        """The input of one city; ``env_budget_m`` (envelopes x years, million Rp) is what each envelope
        may pay there (default: the whole envelope); envelopes not covering the city are ignored."""
        inp = self.inp
        pos = self.loc_of_city[city]
        keep = np.zeros(len(inp.locations), bool)
        keep[pos] = True
        new_of_old = np.full(len(inp.locations), -1, dtype=np.int64)
        new_of_old[pos] = np.arange(len(pos))
        loc = inp.locations.iloc[pos].reset_index(drop=True)
        ids = set(loc["location_id"])

        def _sub(opts):
            if opts is None:
                return None
            o = opts[keep[opts["loc"].to_numpy().astype(np.int64)]].copy()
            o["loc"] = new_of_old[o["loc"].to_numpy().astype(np.int64)]
            o = o.reset_index(drop=True)
            o.index.name = "option_row"
            return o

        f = inp.funding
        fund = Funding(list(f.sources), list(f.years), self.city_budget(city, env_budget_m), f.eligible,
                       f.authorities, f.cap_rp, f.carry_over, f.labels, f.provenance, f.data_status)
        values = copy.deepcopy(inp.scenario.values)
        for key in (("rules", "locked_in"), ("rules", "locked_out"), ("options", "legalised")):
            values[key[0]][key[1]] = [x for x in values[key[0]][key[1]] if x in ids]
        for key in ("location_factor", "location_unit_cost"):
            values["costs"][key] = {k: v for k, v in values["costs"][key].items() if k in ids}
        values["name"] = f"{values.get('name', 'national')}: {city}"
        sc = Scenario(values, inp.scenario.source, inp.scenario.overrides)
        return dataclasses.replace(inp, scenario=sc, locations=loc, options=_sub(inp.options), funding=fund,
                                   unaffordable=_sub(inp.unaffordable), notes=[])


def with_budget(city_inp: AllocationInput, budget_rp: np.ndarray) -> AllocationInput:
    """The same city input with other budgets (sources x years [Rp], :meth:`NationalSplit.city_budget`): a worker
    holding the city's input with the whole envelopes makes the input with its shares from it, so that the input
    travels to the cluster once."""
    b = np.array(budget_rp, dtype=float)  # a copy: a model may change its budgets
    f = city_inp.funding
    if f.scoped_budget_rp is not None:
        raise ValueError("with_budget: the input has budgets with scopes; it takes a city's input "
                         "(NationalSplit.city_input)")
    if b.shape != f.budget_rp.shape:
        raise ValueError(f"with_budget: budgets of shape {b.shape}; the city input has {f.budget_rp.shape} "
                         "(sources x years)")
    return dataclasses.replace(city_inp, funding=dataclasses.replace(f, budget_rp=b))


def split_by_city(inp: AllocationInput) -> NationalSplit:
    """Cities, envelopes and local pools of a national input.

    Raises
    ------
    NationalError when the objective is not ``hectares`` or a hectare target is set (a national
    target cannot be split by city), or when a pool covers part of a city only.
    """
    sc = inp.scenario
    if sc["objective.kind"] != "hectares":
        raise NationalError(f"objective.kind: the national solver maximises slum hectare-years; got "
                            f"{sc['objective.kind']!r} (use the city solver per city for the other objectives)")
    if sc["objective.target_hectares"] is not None:
        raise NationalError("objective.target_hectares: a national hectare target is not split by city; "
                            "remove it (or run each city with its own target)")
    loc = inp.locations
    city = loc["city"].astype(str).to_numpy()
    cities = sorted(set(city))
    loc_of_city = {c: np.flatnonzero(city == c) for c in cities}
    prov = loc["province"].astype(str).to_numpy() if "province" in loc else np.array([""] * len(loc), dtype=object)
    province = {c: str(prov[loc_of_city[c][0]]) for c in cities}
    f = inp.funding
    n = len(loc)
    envelopes, local_pool = [], {c: {} for c in cities}
    for p, (s, _scope) in enumerate(f.pools):
        inside = f.locations_of(p, n)
        covered = sorted(set(city[inside]))
        for c in covered:
            part = inside[loc_of_city[c]]
            if not part.all():
                raise NationalError(f"budget pool {s} / {f.pool_label(p)} covers part of city {c} only; a national run "
                                    "needs every pool to cover whole cities")
        if len(covered) > 1:
            envelopes.append(p)
        elif covered:
            local_pool[covered[0]][s] = p
    env_source = [f.pools[p][0] for p in envelopes]
    env_label = [f.pool_label(p) for p in envelopes]
    env_budget = np.array([f.pool_budget_rp[p] for p in envelopes], float).reshape(len(envelopes), len(f.years)) / 1e6
    env_carry = np.array([bool(f.carry_over[s]) for s in env_source], bool)
    env_cities = [sorted(set(city[f.locations_of(p, n)])) for p in envelopes]
    city_envs = {c: [] for c in cities}
    for e, cs in enumerate(env_cities):
        for c in cs:
            city_envs[c].append(e)
    return NationalSplit(inp, cities, province, loc_of_city, envelopes, env_source, env_label, env_budget, env_carry,
                         env_cities, city_envs, local_pool)


def usage_from_plan(split: NationalSplit, city: str, plan: pd.DataFrame) -> np.ndarray:
    """Money of each envelope a city's plan spends per year (envelopes x years) [million Rp]."""
    u = np.zeros((len(split.envelopes), len(split.years)))
    if plan is None or not len(plan):
        return u
    by = plan.groupby(["source", "year"])["cost_rp"].sum()
    for e in split.city_envs[city]:
        s = split.env_source[e]
        for yi, y in enumerate(split.years):
            u[e, yi] = float(by.get((s, y), 0.0)) / 1e6
    return u
