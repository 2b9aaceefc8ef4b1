"""Decomposition by city over the shared envelopes (APBN, APBD Provinsi): plan, valid bound, gap.

The national problem is the cities' problems coupled only by a few envelope rows (money of a shared
pool per year). Steps (each city step runs on the executor, :mod:`.executor`):

1. **A feasible plan first.** Each envelope is split over its cities in proportion to the slum
   hectares it may pay for there; every city runs the greedy rule with those shares.
2. **Prices** on the envelopes by Dantzig-Wolfe column generation (Dantzig & Wolfe 1960): a master
   LP over convex combinations of city plans (the columns) under the envelope rows gives prices
   lambda; each city solves its LP relaxation with envelope money priced (the Lagrangian subproblem,
   Geoffrion 1974, Fisher 1981) and returns a new column. Every round gives a valid upper bound,
   L(lambda) = sum_c phi_c(lambda) + lambda.B (the *LP-Lagrangian bound*); the loop stops when the
   best bound meets the master LP value. The first prices come from each city's LP at its step-1
   shares (the share-weighted mean of the cities' marginal values of envelope money), the later ones
   are smoothed around the best bound's (Wentges 1997).
3. **Integer columns from the price rounds**: once the prices settle, each priced LP also gives the
   priced MIP near its solution (:func:`.work.lp_task`, Danna et al. 2005); the **restricted master
   MIP** (price and branch: Vanderbeck 2000) picks one integer plan per city under the envelope rows
   as the rounds go; then integer price rounds, priced by the master LP over the integer columns, and
   for the cities that master LP mixes, integer plans near their LPs at nearby prices (plans between
   the ones it mixes, so the restricted master, which must pick one, can pick one close to the mix).
4. **Quick priced city MIPs** at the best prices for the cities with the largest integrality gap per
   location there: integer columns, and a partial MIP-Lagrangian bound at once. Then a **crossover**
   for the cities the master LP over the integer columns mixes: each solves its MIP within that mix of
   envelope money, keeping the works common to the plans it mixes and leaving out those in none of
   them, so that the restricted master can take a plan that fits the mix for every such city at once;
   the master again, over every column. (Optional: the mixing cities solve their own MIP at the mix,
   with the city engine, from no neighbourhood.)
5. **A quick top-up**: the envelope money left unused is split over the cities with most to gain by
   what each plan spends below its LP share; each re-solves from its plan with its part.
   Then longer priced MIPs at the best prices for the few cities with the largest gap left between
   their bound and their best integer column (a lower bound, and columns for the masters after).
6. **City MIPs** with the LP's split of each envelope as caps, **priced city MIPs** at the best
   prices (the MIP-Lagrangian bound and more columns), the master again.
7. **Hand-out** of envelope money left unused: cities with the most to gain are offered it and
   re-solved; an improvement is kept while the envelope rows hold. Then (optional) a **top-up** as
   in 5, spent with the engine's tie-break.

The plan is reported with the best valid upper bound - the LP-Lagrangian bound, and, when asked, the
*MIP-Lagrangian* bound, in which each city's priced problem is bounded by HiGHS's dual bound of its
priced MIP - and the gap between them; it is never called optimal without that proof. The relative
duality gap of such a block structure does not grow with the number of blocks (Shapley-Folkman;
Udell & Boyd 2016): with 270 cities the LP-Lagrangian bound is close to the integer optimum.

References
----------
Dantzig, G. B., Wolfe, P. (1960). Decomposition principle for linear programs. Operations Research 8(1).
Danna, E., Rothberg, E., Le Pape, C. (2005). Exploring relaxation induced neighborhoods to improve MIP
solutions. Mathematical Programming 102(1).
Geoffrion, A. M. (1974). Lagrangean relaxation for integer programming. Math. Programming Study 2.
Fisher, M. L. (1981). The Lagrangian relaxation method for solving integer programming problems.
Management Science 27(1). Vanderbeck, F. (2000). On Dantzig-Wolfe decomposition in integer
programming and ways to perform branching in a branch-and-price algorithm. Operations Research
48(1). Udell, M., Boyd, S. (2016). Bounding duality gap for separable problems with linear
constraints. Computational Optimization and Applications 64. Wentges, P. (1997). Weighted
Dantzig-Wolfe decomposition for linear mixed-integer programming. International Transactions in
Operational Research 4(2).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..allocate.checker import check_plan
from ..allocate.highs import INF, new_highs, pass_arrays, run, set_start
from ..allocate.inputs import AllocationInput
from ..allocate.results import evaluate_plan, works_from_plan
from .executor import CityRunner
from .split import NationalSplit, split_by_city
from .work import crossover_task, engine_task, greedy_task, lp_task, mip_bound_task, mip_task

__all__ = ["NationalOptions", "NationalResult", "solve_national"]


@dataclass
class NationalOptions:
    """Settings of a national run.

    Attributes
    ----------
    workers, scheduler, kind, processes : the executor (:class:`~.executor.CityRunner`)
    lp_rounds : most column-generation rounds
    lp_tol : stop the rounds when (best LP-Lagrangian bound - master LP) / master LP is below this
    warm_start : before the price rounds, each city's LP with its step-1 shares of the envelopes as caps:
        the first prices (the share-weighted mean of the cities' marginal values of envelope money) and a
        column per city that fits the shares (measured on the 11,000-location benchmark: the first round's
        bound 140,034 against 158,280 from zero prices; 8 rounds to the stop against 12)
    smoothing : prices of a round after the first are this mix of the prices of the best bound so far and
        the master LP's (Wentges 1997 smoothing; 0 = the master LP's); a round at mixed prices that adds no
        column to the master LP is followed by one at the master LP's own prices
    city_time_limit_s, city_gap : each city MIP's time limit [s] and gap tolerance (2 s, the benchmark's setting
        since the ninth stop: the city MIPs at the LP's split mostly end at their limit, and on 30 SYNTHETIC cities
        2 s gave the same plans in about half the time of 5 s; was 20 s, so a national run from the command line
        did not run as measured unless given --time-limit 2)
    greedy_mips, greedy_mip_time_s : after each city's greedy plan, the city engine on the same shares
        started from it (time limit per city [s]): a first national plan above greedy, and more columns
        (off by default since the price rounds give integer columns: on the 11,000-location benchmark
        its 43 s are better spent there)
    city_mips : city MIPs with the master LP's split of each envelope as caps (the first integer
        columns besides greedy; off: only the priced MIPs give them - measured on 30 SYNTHETIC cities,
        a final plan 2.3 % lower in a third of the time)
    mip_bound : priced city MIPs at the best prices (one per city): the MIP-Lagrangian bound, and
        their incumbents as more columns for the restricted master
    mip_bound_time_s : time limit of each of those priced MIPs [s] (their dual bound counts either way; 2 s as
        in the benchmark, was 5 s)
    rins_time_s : each priced LP of the price rounds also gives an integer column, the priced MIP near
        the LP solution (its integral values fixed) within this time limit [s] (0 = off: integer
        columns only from the stages after the price rounds)
    rins_from_gap : the integer columns start with the first round whose master LP is within this
        fraction of the best bound (the rounds before it only price: their prices are far off)
    int_rounds : after the price rounds, rounds priced by the master LP over the integer columns only
        (each city adds the integer plan near its LP solution at those prices when it improves that master;
        2 since the crossover: a third round took 11-12 s on the 11,000-location benchmark for no better plan
        at 3 minutes)
    master_every_s, master_round_time_s : during the price rounds, the restricted master MIP over the
        integer columns at most once per this many seconds, with this time limit [s] (gap 0.1 %)
    master_time_s : time limit of the restricted master after the price rounds [s] (gap 0.01 %; the final
        master: at least 30 s, gap 0.001 %); every master starts from the best plan so far (measured on 1,862
        integer columns of the 11,000-location benchmark: 136,066 at 1 s, 136,227.5 at 3 s, 136,228.1 at 6 s;
        on 2,171 columns of a later run, with the nearby-price columns: 136,574 at 2 s, 136,583 at 3 s,
        136,634 at 5 s and at 8 s, from the best plan so far or from greedy's)
    split_time_s : after the integer rounds, the cities the master LP over the integer columns mixes solve
        their MIP at that mix of envelope money within this time limit [s] (0 = off, the default: measured on
        the 11,000-location benchmark, no column fits a mix for most of those cities, so they start from no
        plan, and the step's 15-20 s gave a better national plan in one run of four). This step, the quick
        priced MIPs, the master after the price rounds and the quick top-up run only with ``rins_time_s`` > 0
    quick_top_up_time_s : after the price rounds, one top-up (the money left unused split over the cities,
        each city re-solved from its plan within this time limit [s]; its better plans are columns; 0 = off)
    quick_priced_time_s, quick_priced_cities : after the price rounds, priced MIPs at the best prices (HiGHS
        within this time limit [s]) for this many cities (0 = as in the hand-out), those with the largest
        integrality gap per location at those prices: integer columns for the master, and a valid
        MIP-Lagrangian bound at once (the other cities keep their priced LP value in it); 0 s = off. Measured
        at one set of prices of the 11,000-location benchmark, in about 34 s of solving: 0.25 s for the 121
        cities first by that rule took 172 hectare-years off the bound, 0.5 s for 68 of them 168, 0.5 s for the
        smallest 90 cities 130, for 70 cities at random 72 (0.25 s for all 270 cities: 192 in 80 s)
    crossover_time_s : the crossover of step 4: HiGHS's time limit [s] for each mixing city's MIP in the
        neighbourhood of the plans it mixes (0 = off). Measured on the 11,000-location benchmark: 67-78 cities mix,
        67-75 get a plan, 4-8 s for the step; the restricted master after it 136,692-136,850 against
        136,456-136,670 without
    residual_priced_time_s, residual_priced_cities : after the quick top-up, priced MIPs at the best prices within
        this time limit [s] for this many cities, those with the largest gap left between their bound (priced LP
        value, or a quick priced MIP's dual bound) and their best integer column there (0 = off); a city solved
        here at least as long as ``mip_bound_time_s`` keeps this result in step 6. Measured at one set of prices
        of the 11,000-location benchmark: 2 s for the 6 cities first by that rule take 49 hectare-years off the
        bound in 12 s of solving (10 cities: 57 in 21 s; the quick stage, 120 cities at 0.25 s: 160 in 35 s)
    mix_price_steps : after the integer rounds, each city the master LP over the integer columns mixes prices its LP
        at the master's prices scaled by (1 + step) for each step and adds the integer plan near it (works-only
        neighbourhood): plans between the ones the LP mixes, for the restricted master (() = off; measured on the
        11,000-location benchmark: 73-80 cities mix, the step takes 9-10 s with two steps, the restricted master
        after the price rounds 136,514-136,552 against 136,312-136,528 without; four steps took 20 s)
    quick_top_up_cities : the cities offered money in that top-up: those with most to gain by the master LP
        (0 = as in the hand-out, ``handout_cities``; all 270 cities of the benchmark took 31-37 s for a gain of
        0.15-0.2 %)
    handout_rounds, handout_cities : rounds of the hand-out and cities offered money per round
        (0 = 4 x workers, at least a quarter of the cities); one round as in the benchmark (was 3: in the full
        benchmark runs the first round improved 1-6 cities' plans by 31-77 hectare-years in all)
    top_up : spend what is left with the engine's tie-break (score reduction x area)
    time_limit_s : wall-clock budget of the price rounds [s] (the stages after them always run)
    state_dir : keep per-city results there (a stopped run resumes from them)
    progress : progress bars on stderr
    """

    workers: int = 2
    scheduler: str | None = None
    kind: str = "dask"
    processes: bool = True
    lp_rounds: int = 60
    lp_tol: float = 3e-4
    warm_start: bool = True
    smoothing: float = 0.5
    city_time_limit_s: float = 2.0
    city_gap: float = 1e-4
    greedy_mips: bool = False
    greedy_mip_time_s: float = 1.0
    city_mips: bool = True
    mip_bound: bool = True
    mip_bound_time_s: float = 2.0
    handout_rounds: int = 1
    rins_time_s: float = 0.3
    rins_from_gap: float = 0.05
    int_rounds: int = 2
    master_every_s: float = 10.0
    master_round_time_s: float = 2.0
    master_time_s: float = 5.0
    split_time_s: float = 0.0
    quick_top_up_time_s: float = 0.3
    quick_top_up_cities: int = 0
    mix_price_steps: tuple = (-0.05, 0.05)
    quick_priced_time_s: float = 0.25
    quick_priced_cities: int = 120
    crossover_time_s: float = 0.3
    residual_priced_time_s: float = 2.0
    residual_priced_cities: int = 6
    handout_cities: int = 0
    top_up: bool = True
    time_limit_s: float = 900.0
    state_dir: str | None = None
    progress: bool = True

    def __post_init__(self):
        if not 0.0 <= float(self.smoothing) <= 1.0:
            raise ValueError(f"NationalOptions.smoothing: got {self.smoothing!r}; expected a share from 0 (the master "
                             "LP's prices) to 1 (the best bound's prices)")
        try:
            steps = [float(x) for x in self.mix_price_steps]
        except (TypeError, ValueError):
            steps = [np.nan]
        if not all(x > -1.0 for x in steps):  # (NaN fails too)
            raise ValueError(f"NationalOptions.mix_price_steps: got {self.mix_price_steps!r}; expected a sequence of "
                             "numbers above -1 (the prices are scaled by 1 + step)")
        for name in ("rins_time_s", "split_time_s", "quick_priced_time_s", "crossover_time_s", "quick_top_up_time_s",
                     "residual_priced_time_s"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v >= 0):  # (NaN fails too)
                raise ValueError(f"NationalOptions.{name}: got {v!r}; expected a time limit in seconds, 0 or more "
                                 "(0 = the step is off)")
        for name in ("quick_priced_cities", "quick_top_up_cities", "handout_cities", "int_rounds",
                     "residual_priced_cities"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"NationalOptions.{name}: got {getattr(self, name)!r}; expected 0 or more")


@dataclass
class NationalResult:
    """What a national run gives.

    Attributes
    ----------
    plan : plan table (one row per work and source, as the city engine's) with ``city`` and ``province``
    value : hectare-years of the plan (re-scored from the plan table)
    bound_lp, bound_mip : best LP-Lagrangian bound; MIP-Lagrangian bound (None unless asked)
    bound, gap : the best valid upper bound and (bound - value) / value
    greedy_value : hectare-years of the greedy plan (step 1)
    prices : DataFrame per envelope and year: source, scope, lambda [hectare-years per million Rp],
        ``ha_years_per_bn_rp`` (what one more billion rupiah of that envelope would clear)
    cities : DataFrame per city: province, locations, plan value, stage that gave its plan, shares
    timeline : list of dicts (time [s], stage, plan value, bound) in order
    checks : checker violations of the plan (empty = every rule holds)
    failures : city tasks that failed twice (the city keeps an earlier plan)
    """

    plan: pd.DataFrame
    value: float
    bound_lp: float
    bound_mip: float | None
    bound: float
    gap: float
    greedy_value: float
    greedy_plan: pd.DataFrame
    prices: pd.DataFrame
    cities: pd.DataFrame
    timeline: list
    checks: list = field(default_factory=list)
    failures: dict = field(default_factory=dict)
    executor: str = ""
    times: dict = field(default_factory=dict)
    split: NationalSplit | None = None
    status: str = ""
    data_status: str = ""

    def summary(self) -> str:
        b_mip = "not computed" if self.bound_mip is None else f"{self.bound_mip:,.2f}"
        lines = [f"national decomposition by city ({len(self.cities)} cities, {self.executor}); status: {self.status}",
                 f"objective (hectare-years): {self.value:,.3f}; best bound: {self.bound:,.3f} (LP-Lagrangian "
                 f"{self.bound_lp:,.2f}; MIP-Lagrangian {b_mip}); gap: {self.gap:.3%}",
                 f"greedy per city: {self.greedy_value:,.3f} hectare-years (plan / greedy = "
                 f"{self.value / self.greedy_value if self.greedy_value else float('nan'):.4f})"]
        if self.failures:
            lines.append(f"{len(self.failures)} city task(s) failed twice: {sorted(self.failures)[:5]}")
        if self.checks:
            lines.append(f"the independent checker found {len(self.checks)} broken rule(s): {self.checks[0]}")
        lines.append(f"data status: {self.data_status}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
def _fingerprint(inp: AllocationInput, opts: NationalOptions) -> str:
    """Names the run's content (scenario, data files, settings that change results) for resuming."""
    h = hashlib.sha1(inp.scenario.to_yaml().encode())
    for k in ("baseline", "budget", "funding_rules", "costs"):
        try:
            h.update(inp.scenario.data_path(k).read_bytes())
        except OSError:
            h.update(str(inp.scenario.data_path(k)).encode())
    h.update(repr((opts.city_time_limit_s, opts.city_gap, opts.lp_tol, opts.lp_rounds)).encode())
    return h.hexdigest()[:12]


def _digest(*arrays) -> str:
    h = hashlib.sha1()
    for a in arrays:
        h.update(np.ascontiguousarray(np.round(np.asarray(a, float), 6)).tobytes())
    return h.hexdigest()[:12]


class _Rows:
    """The envelope rows: one per envelope and year (cumulative for a carry-over source)."""

    def __init__(self, split: NationalSplit):
        E, Y = split.env_budget_m.shape
        self.E, self.Y = E, Y
        self.M = np.zeros((E * Y, E, Y))  # row r covers spend of (e, y) with weight M[r, e, y]
        self.rhs = np.zeros(E * Y)
        for e in range(E):
            for y in range(Y):
                r = e * Y + y
                if split.env_carry[e]:
                    self.M[r, e, : y + 1] = 1.0
                    self.rhs[r] = split.env_budget_m[e, : y + 1].sum()
                else:
                    self.M[r, e, y] = 1.0
                    self.rhs[r] = split.env_budget_m[e, y]

    def act(self, usage: np.ndarray) -> np.ndarray:
        """Row activities of an (E x Y) usage."""
        return np.tensordot(self.M, usage, axes=([1, 2], [0, 1]))

    def price(self, lam: np.ndarray) -> np.ndarray:
        """Price per million Rp of spend in (e, y) from row prices ``lam``."""
        return np.tensordot(lam, self.M, axes=(0, 0))

    def holds(self, usage: np.ndarray) -> bool:
        """Whether an (E x Y) usage keeps every envelope row (within a relative 1e-9)."""
        return bool(np.all(self.act(usage) <= self.rhs + 1e-9 * (1 + np.abs(self.rhs))))

    def offer(self, slack: np.ndarray) -> np.ndarray:
        """Extra spend per (e, y) that keeps every row within ``slack`` however it is used."""
        out = np.zeros((self.E, self.Y))
        for e in range(self.E):
            s = np.maximum(slack[e * self.Y:(e + 1) * self.Y], 0.0)
            if np.any(self.M[e * self.Y + self.Y - 1, e, :-1]):  # cumulative rows
                given = 0.0
                for y in range(self.Y):
                    out[e, y] = max(float(s[y:].min()) - given, 0.0)
                    given += out[e, y]
            else:
                out[e] = s
        return out


def _master_lp(cols: dict, rows: _Rows, cities: list):
    """Master LP over convex combinations of each city's columns: values, row prices, city prices, weights."""
    idx = [(c, k) for c in cities for k in range(len(cols[c]))]
    n = len(idx)
    R = rows.rhs.size
    A = np.zeros((R + len(cities), n))
    cost = np.zeros(n)
    for j, (c, k) in enumerate(idx):
        col = cols[c][k]
        cost[j] = col["value"]
        A[:R, j] = rows.act(col["usage"])
        A[R + cities.index(c), j] = 1.0
    import scipy.sparse as sp

    h = new_highs(threads=1)
    lo = np.concatenate([np.full(R, -INF), np.ones(len(cities))])
    up = np.concatenate([rows.rhs, np.ones(len(cities))])
    pass_arrays(h, cost, np.zeros(n), np.full(n, INF), sp.csr_matrix(A), lo, up, None, maximize=True)
    r = run(h, mip=False)
    if r.model_status != "kOptimal" or r.row_dual is None:
        raise RuntimeError(f"national master LP: {r.model_status}")
    # maximise: the dual of a binding <= row is >= 0 in HiGHS's sign convention for a max problem
    lam = np.maximum(r.row_dual[:R], 0.0)
    mu = r.row_dual[R:]
    w = {key: r.values[j] for j, key in enumerate(idx)}
    return r.objective, lam, dict(zip(cities, mu)), w


def _master_mip(cols: dict, rows: _Rows, cities: list, time_limit: float = 60.0, gap: float = 1e-7,
                start: dict | None = None):
    """One integer column per city under the envelope rows (restricted master MIP); ``start``: a pick
    (city -> column index) that fits, handed to HiGHS as its first incumbent. Returns a pick or None."""
    import scipy.sparse as sp

    idx = [(c, k) for c in cities for k in range(len(cols[c])) if cols[c][k].get("plan") is not None]
    n = len(idx)
    R = rows.rhs.size
    A = np.zeros((R + len(cities), n))
    cost = np.zeros(n)
    for j, (c, k) in enumerate(idx):
        cost[j] = cols[c][k]["value"]
        A[:R, j] = rows.act(cols[c][k]["usage"])
        A[R + cities.index(c), j] = 1.0
    h = new_highs(threads=1, time_limit=time_limit, mip_rel_gap=gap)
    lo = np.concatenate([np.full(R, -INF), np.ones(len(cities))])
    up = np.concatenate([rows.rhs * (1 + 1e-12) + 1e-9, np.ones(len(cities))])
    pass_arrays(h, cost, np.zeros(n), np.ones(n), sp.csr_matrix(A), lo, up, np.ones(n, bool), maximize=True)
    if start is not None:
        set_start(h, {j: float(start.get(c) == k) for j, (c, k) in enumerate(idx)})
    r = run(h, mip=True)
    if r.values is None:
        return None
    pick = {}
    for j, (c, k) in enumerate(idx):
        if r.values[j] > 0.5:
            pick[c] = k
    return pick if len(pick) == len(cities) else None


def _works(col: dict) -> list:
    """The (option row, year) pairs of a column's plan: a start for a later city solve."""
    p = col.get("plan")
    if p is None or not len(p) or "option_row" not in p:
        return []
    return sorted({(int(o), int(y)) for o, y in zip(p["option_row"], p["year"])})


def _initial_shares(split: NationalSplit) -> dict:
    """Each envelope split over its cities in proportion to the slum hectares it may pay for there."""
    inp = split.inp
    f = inp.funding
    loc = inp.locations
    slum = loc["slum"].to_numpy(bool) & loc["candidate"].to_numpy(bool)
    area = loc["area_ha"].to_numpy(float)
    auth = loc["authority_alloc"].to_numpy()
    E, Y = split.env_budget_m.shape
    weight = np.zeros((E, len(split.cities)))
    for e in range(E):
        ok = np.isin(auth, list(f.authorities[split.env_source[e]]))
        for ci, c in enumerate(split.cities):
            if c in split.env_cities[e]:
                pos = split.loc_of_city[c]
                weight[e, ci] = area[pos][slum[pos] & ok[pos]].sum() + 1e-6
    shares = {}
    for ci, c in enumerate(split.cities):
        b = np.zeros((E, Y))
        for e in split.city_envs[c]:
            b[e] = split.env_budget_m[e] * weight[e, ci] / weight[e].sum()
        shares[c] = b
    return shares


def _city_prices(split, c, price_ey):
    """Price per shared source of city ``c`` (in the order of its envelopes) and year."""
    envs = split.city_envs[c]
    return np.array([price_ey[e] for e in envs]).reshape(len(envs), len(split.years))


def _column(split, c, r: dict, stage: str, status: bool = True) -> dict:
    """A city's integer plan from a worker's result as a column: value, envelope usage (E x Y), plan table,
    the stage that gave it and (``status``) the solver's status."""
    col = {"value": r["value"], "usage": _full_usage(split, c, r["usage"]), "plan": r["plan"], "stage": stage}
    if status and "status" in r:  # an integer plan near an LP has no solver status of its own
        col["status"] = r["status"]
    return col


def _full_usage(split, c, u_city):
    """A city's usage over its own envelopes (rows in city_envs order) as an (E x Y) array."""
    out = np.zeros(split.env_budget_m.shape)
    for k, e in enumerate(split.city_envs[c]):
        out[e] = u_city[k]
    return out


def solve_national(inp: AllocationInput, options: NationalOptions | None = None, client=None,
                   log=None) -> NationalResult:
    """Allocate a national (multi-city, scoped) input by decomposition by city.

    Parameters
    ----------
    inp : prepared national input (:func:`kotaku_decide.allocate.prepare` of a scenario whose budget
        table has scopes)
    options : :class:`NationalOptions`
    client : an existing ``distributed.Client`` to run on (else the options' executor)
    log : callable taking a line of text (progress of the stages), or None
    """
    opts = options or NationalOptions()
    say = log or (lambda s: None)
    t0 = time.perf_counter()
    split = split_by_city(inp)
    cities = split.cities
    E, Y = split.env_budget_m.shape
    rows = _Rows(split)
    timeline = []
    times = {}

    def mark(stage, value, bound):
        timeline.append({"time_s": time.perf_counter() - t0, "stage": stage, "value": value, "bound": bound})
        say(f"[{time.perf_counter() - t0:7.1f} s] {stage}: plan {value:,.2f}" +
            ("" if bound is None else f", bound {bound:,.2f}, gap {(bound - value) / max(value, 1e-9):.3%}"))

    state = None
    if opts.state_dir:
        state = f"{opts.state_dir}/{_fingerprint(inp, opts)}"
    runner = CityRunner(workers=opts.workers, scheduler=opts.scheduler, client=client, kind=opts.kind,
                        processes=opts.processes, state_dir=state, progress=opts.progress)
    try:
        say(f"{len(cities)} cities, {E} shared envelope(s) x {Y} years; executor: {runner.description}")
        env_src = {c: [split.env_source[e] for e in split.city_envs[c]] for c in cities}
        # ---- 1. greedy per city with proportional shares ------------------------------------
        t1 = time.perf_counter()
        shares0 = _initial_shares(split)
        # each city's input (with the whole envelopes) goes to the cluster once; a task that needs other envelope
        # budgets gets them as a small array (split.city_budget) and makes its input in the worker (with_budget)
        inputs = runner.scatter({c: split.city_input(c) for c in cities})
        res = runner.map(greedy_task, [(c, f"greedy|{c}|{_digest(shares0[c])}",
                                        (inputs[c], env_src[c], split.city_budget(c, shares0[c]))) for c in cities],
                         desc="greedy")
        cols = {c: [] for c in cities}
        for c in cities:
            r = res[c]
            if r is None:
                raise RuntimeError(f"the greedy plan of city {c} failed twice: {runner.failures.get(('greedy', c))}")
            cols[c].append(_column(split, c, r, "greedy", status=False))
        greedy_value = sum(cols[c][0]["value"] for c in cities)
        greedy_plan = _national_plan(split, {c: cols[c][0]["plan"] for c in cities})
        times["greedy_s"] = time.perf_counter() - t1
        mark("greedy per city", greedy_value, None)
        best_value = greedy_value  # the best national plan so far (each mark reports it)
        if opts.greedy_mips:
            # each city's engine on the same shares, started from its greedy plan: the cities' plans fit the
            # envelopes together (the shares add up to them), so greedy's plan with every city improved so far
            # is a national plan above greedy - reported as the cities finish (the first, then every 10 s)
            t1 = time.perf_counter()
            run_ = {"value": greedy_value, "done": 0, "last": -np.inf}

            def improved(c, r):
                run_["done"] += 1
                if r is None or r.get("mip") is None:
                    return
                run_["value"] += r["mip"]["value"] - cols[c][0]["value"]
                now = time.perf_counter()
                if now - run_["last"] >= 10.0:
                    run_["last"] = now
                    mark(f"city engine at the greedy shares, greedy elsewhere ({run_['done']} of {len(cities)} "
                         "cities done)", run_["value"], None)

            # the largest cities first: most of the gain, reported soonest (the order does not change a plan)
            order = sorted(cities, key=lambda c: (-len(split.loc_of_city[c]), c))
            tasks = [(c, f"engine|{c}|{opts.greedy_mip_time_s}|{opts.city_gap}|{_digest(shares0[c])}",
                      (inputs[c], env_src[c], opts.greedy_mip_time_s, opts.city_gap, res[c].get("works") or [],
                       res[c]["value"], 20160, split.city_budget(c, shares0[c]))) for c in order]
            res = runner.map(engine_task, tasks, desc="city engine at the greedy shares", on_result=improved)
            for c in cities:
                r = (res[c] or {}).get("mip")
                if r is not None:
                    cols[c].append(_column(split, c, r, "city MIP at the greedy shares"))
            best_value = sum(cols[c][-1]["value"] for c in cities)
            times["greedy_engine_s"] = time.perf_counter() - t1
            mark("city MIPs at the greedy shares", best_value, None)
        # ---- 2. prices: column generation with the cities' priced LPs -------------------------
        # (with rins_time_s, each priced LP also gives an integer column near its solution; the restricted
        # master over the integer columns gives a national plan as the rounds go)
        t1 = time.perf_counter()
        token = uuid.uuid4().hex[:8]
        lp_cols = {c: [dict(col, plan=None) for col in cols[c]] for c in cities}
        best_lp, best_lam, lp_value, weights = np.inf, np.zeros(E * Y), None, None
        best_phi = {}  # each city's priced LP value at the best prices (their sum + lam.B is best_lp)
        rins = max(float(opts.rins_time_s), 0.0)
        # the best national plan so far as a pick of one column per city (stage 1's columns fit together)
        cur = {"pick": {c: len(cols[c]) - 1 for c in cities}, "master_t": -np.inf}
        cur["value"] = sum(cols[c][cur["pick"][c]]["value"] for c in cities)

        def engine_args(c, caps, time_limit, works, fallback_min_s, tie_break=False) -> tuple:
            """Arguments of :func:`.work.mip_task` for city ``c``: the city engine with its envelopes capped at
            ``caps`` (envelopes x years, million Rp), started from ``works`` (None: from no plan); the worker makes
            the capped input from the scattered one."""
            return (inputs[c], env_src[c], time_limit, opts.city_gap, tie_break, 20160, works, fallback_min_s,
                    split.city_budget(c, caps))

        def add_int(c, r, stage, mu_c=None) -> bool:
            ic = (r or {}).get("int")
            if ic is None or (mu_c is not None and ic["phi"] - mu_c <= 1e-7 * (1 + abs(ic["phi"]))):
                return False
            col = _column(split, c, ic, stage, status=False)
            cols[c].append(col)
            lp_cols[c].append(dict(col, plan=None))
            return True

        def master(label, time_limit, gap, bound_now):
            """The restricted master over the integer columns, started from the best pick; kept if better."""
            p = _master_mip(cols, rows, cities, time_limit=time_limit, gap=gap, start=cur["pick"])
            cur["master_t"] = time.perf_counter()
            if p is not None:  # kept only if every row holds as rounded here (HiGHS's integrality tolerance)
                v = sum(cols[c][p[c]]["value"] for c in cities)
                used = sum(cols[c][p[c]]["usage"] for c in cities)
                if v > cur["value"] + 1e-9 and rows.holds(used):
                    cur["pick"], cur["value"] = p, v
            mark(label, max(best_value, cur["value"]), bound_now)

        def price_round(tag, lam, rins_s, works_only=False):
            """One round of priced LPs (and integer columns) at row prices ``lam``: (results, bound or inf)."""
            price = rows.price(lam)
            tasks = [(c, f"{tag}|{token}|{c}|{_digest(_city_prices(split, c, price))}",
                      (token, c, inputs[c], env_src[c], _city_prices(split, c, price), rins_s, None, works_only))
                     for c in cities]
            res = runner.map(lp_task, tasks, desc=tag, resume=False)
            L = np.inf
            if all(res[c] is not None for c in cities):
                L = sum(res[c]["phi"] for c in cities) + float(lam @ rows.rhs)
            return res, L

        def split_repair(time_limit):
            """The master LP over the integer columns takes one column for most cities and mixes a few for the
            rest (in a basic solution no more cities mix than there are envelope rows). Each mixing city solves its
            own MIP with the LP's mix of envelope money as caps, started from its best column within them;
            with the other cities' columns this is a national plan (the caps add up within the rows), kept if
            better than the best so far. The new plans are columns for the masters after."""
            weights = _column_weights(_master_lp(cols, rows, cities)[3])
            new_pick, share, mixed = {}, {}, []
            for c in cities:
                ws = weights.get(c, [])
                share[c] = sum(w * cols[c][k]["usage"] for k, w in ws)
                if len(ws) == 1:
                    new_pick[c] = ws[0][0]
                else:
                    mixed.append(c)
            tasks = []
            for c in mixed:
                caps = _own(split, c, share[c]) * (1 - 1e-9)
                fits = [k for k in range(len(cols[c])) if np.all(cols[c][k]["usage"] <= caps + 1e-9)]
                start = max(fits, key=lambda k: cols[c][k]["value"]) if fits else None
                if start is not None:
                    new_pick[c] = start
                works = _works(cols[c][start]) if start is not None else []
                tasks.append((c, f"split|{c}|{time_limit}|{_digest(caps)}|{_digest(np.asarray(works).ravel())}",
                              engine_args(c, caps, time_limit, works, _fallback(time_limit))))
            res = runner.map(mip_task, tasks, desc="cities mixing columns") if tasks else {}
            for c in mixed:
                r = res.get(c)
                if r is not None and (c not in new_pick or r["value"] > cols[c][new_pick[c]]["value"] + 1e-9):
                    cols[c].append(_column(split, c, r, "city MIP at the integer master's mix"))
                    new_pick[c] = len(cols[c]) - 1
            kept = False
            if len(new_pick) == len(cities):
                used = sum(cols[c][new_pick[c]]["usage"] for c in cities)
                v = sum(cols[c][new_pick[c]]["value"] for c in cities)
                if rows.holds(used) and v > cur["value"] + 1e-9:
                    cur["pick"], cur["value"], kept = new_pick, v, True
            mark(f"cities mixing columns in the integer master LP ({len(mixed)}) solved at its mix"
                 + ("" if kept else "; not better, not kept"), max(best_value, cur["value"]), best_lp)

        def nearby_columns(steps):
            """The master LP over the integer columns takes one column for most cities and mixes two or more for
            the rest (at most as many as there are envelope rows), and the restricted master, which must pick one,
            loses there. Each mixing city prices its LP at the master's prices scaled by (1 + step) for each step
            and adds the integer plan near it (works-only neighbourhood) as a column: plans spending a little more
            or less than the ones it mixes, so the master can pick one close to the mix."""
            v0, lam_i, _mu, w_i = _master_lp(cols, rows, cities)
            weights = _column_weights(w_i)
            mixed = [c for c in cities if len(weights.get(c, [])) > 1]
            tasks = []
            for c in mixed:
                for j, step in enumerate(steps):
                    pc = _city_prices(split, c, rows.price(lam_i * (1.0 + float(step))))
                    tasks.append(((c, j), f"nearby|{token}|{c}|{j}|{_digest(pc)}",
                                  (token, c, inputs[c], env_src[c], pc, rins, None, True)))
            res = runner.map(lp_task, tasks, desc="mixing cities at nearby prices", resume=False) if tasks else {}
            n_new = 0
            for (c, j), r in sorted(res.items()):
                ic = (r or {}).get("int")
                if ic is None or any(abs(col["value"] - ic["value"]) <= 1e-9 * (1 + abs(ic["value"])) and
                                     np.allclose(col["usage"], _full_usage(split, c, ic["usage"]), rtol=0, atol=1e-9)
                                     for col in cols[c]):
                    continue  # no plan, or one the city has already
                n_new += add_int(c, r, f"integer near the LP at {float(steps[j]):+.0%} of the integer master's prices")
            v1 = _master_lp(cols, rows, cities)[0] if n_new else v0
            mark(f"nearby prices for the {len(mixed)} cities the integer master LP mixes ({n_new} new integer "
                 f"columns; master LP over integer plans {v0:,.2f} -> {v1:,.2f})", max(best_value, cur["value"]),
                 best_lp)

        def crossover_columns(time_limit):
            """The master LP over the integer columns takes one column for most cities and mixes two or more for the
            rest; the mix's envelope money adds up within the rows with the other cities' columns. Each mixing city
            solves its MIP within that money, in the neighbourhood of the plans it mixes (:func:`.work.crossover_task`):
            a plan that fits the mix, for the restricted master (which can then take every such city's plan at once,
            where before it had to pick one of the mixed plans)."""
            v0, _l, _m, w_i = _master_lp(cols, rows, cities)
            weights = _column_weights(w_i)
            mixed = [c for c in cities if len(weights.get(c, [])) > 1]
            tasks = []
            for c in mixed:
                ws = weights[c]
                caps = _own(split, c, sum(w * cols[c][k]["usage"] for k, w in ws)) * (1 - 1e-9)
                works = [_works(cols[c][k]) for k, _w in ws]
                sizes_and_works = [np.array([len(wk) for wk in works])] + [np.asarray(wk).ravel() for wk in works]
                tasks.append((c, f"crossover|{c}|{time_limit}|{_digest(caps)}|{_digest(*sizes_and_works)}",
                              (inputs[c], env_src[c], works, time_limit, split.city_budget(c, caps))))
            res = runner.map(crossover_task, tasks, desc="crossover of the mixed plans") if tasks else {}
            n_new = 0
            for c in mixed:
                r = res.get(c)
                if r is not None and r.get("plan") is not None:
                    col = _column(split, c, r, "crossover of the plans the integer master LP mixes", status=False)
                    cols[c].append(col)
                    lp_cols[c].append(dict(col, plan=None))
                    n_new += 1
            v1 = _master_lp(cols, rows, cities)[0] if n_new else v0
            mark(f"crossover for the {len(mixed)} cities the integer master LP mixes ({n_new} new integer columns; "
                 f"master LP over integer plans {v0:,.2f} -> {v1:,.2f})", max(best_value, cur["value"]), bound_now())

        def gain(c) -> float:
            """What the master LP gives city ``c`` beyond the plan picked for it (set once the rounds end)."""
            return lp_city_value[c] - cols[c][cur["pick"][c]]["value"]

        def most_to_gain(cands) -> list:
            """``cands`` with the most to gain first (ties by name)."""
            return sorted(cands, key=lambda c: (-gain(c), c))

        mip_b = {}  # city -> HiGHS's dual bound of its priced MIP at best_lam (the MIP-Lagrangian bound's parts)

        def bound_now():
            """The best valid bound so far: the LP-Lagrangian bound, or at the same prices each city's priced LP
            value replaced by its priced MIP's dual bound where one is known (when that is lower)."""
            if not mip_b or not best_phi:
                return best_lp
            return min(best_lp, sum(min(best_phi[c], mip_b.get(c, np.inf)) for c in cities)
                       + float(best_lam @ rows.rhs))

        def best_priced_column(price) -> dict:
            """Per city, the best priced value at ``price`` of its integer columns (-inf: none)."""
            out = {}
            for c in cities:
                known = [col["value"] - float((price * col["usage"]).sum()) for col in cols[c]
                         if col.get("plan") is not None]
                out[c] = max(known) if known else -np.inf
            return out

        def integrality_gap(price) -> dict:
            """Per city, its priced LP value at the best prices less the best priced value of its integer columns
            there: what its priced MIP's dual bound can take off the bound at most (0: nothing to gain)."""
            best = best_priced_column(price)
            return {c: max(best_phi[c] - best[c], 0.0) for c in cities}

        priced_done = {}  # city -> (time limit, result) of a priced MIP at best_lam (reused by step 6)

        def priced_mips(time_limit, chosen, label):
            """Priced MIPs at the best prices (HiGHS, whole city, ``time_limit``) for the ``chosen`` cities: their
            incumbents are columns, their dual bounds lower the bound (the other cities keep their priced LP
            values in it, so it stays valid)."""
            price = rows.price(best_lam)
            tasks = [(c, f"quickpriced|{c}|{time_limit}|{_digest(_city_prices(split, c, price))}",
                      (inputs[c], env_src[c], _city_prices(split, c, price), time_limit)) for c in chosen]
            res = runner.map(mip_bound_task, tasks, desc=f"priced city MIPs ({label})")
            n_new = 0
            for c in chosen:
                r = res.get(c)
                if r is None:
                    continue
                mip_b[c] = min(mip_b.get(c, np.inf), r["bound"])
                if c not in priced_done or time_limit >= priced_done[c][0]:
                    priced_done[c] = (time_limit, r)
                if r.get("plan") is not None:
                    cols[c].append(_column(split, c, r, f"priced city MIP ({label})"))
                    n_new += 1
            mark(f"priced city MIPs at the best prices for {len(chosen)} cities, {label} ({n_new} plans; "
                 "MIP-Lagrangian bound where known)", max(best_value, cur["value"]), bound_now())

        def quick_priced(time_limit, n_cities):
            """Priced MIPs at the best prices for the cities whose bound may fall most per second of solving: the
            largest integrality gap (:func:`integrality_gap`) per location (a small city's MIP is proven within a
            fraction of a second, a large one's bound moves little in that time)."""
            ig = integrality_gap(rows.price(best_lam))
            size = {c: max(len(split.loc_of_city[c]), 1) for c in cities}
            chosen = sorted((c for c in cities if ig[c] > 1e-9 * (1 + abs(best_phi[c]))),
                            key=lambda c: (-ig[c] / size[c], c))[:n_cities]
            priced_mips(time_limit, chosen, "quick")

        def residual_priced(time_limit, n_cities):
            """Priced MIPs at the best prices, ``time_limit`` each, for the ``n_cities`` cities with the largest
            gap left between their bound (priced LP, or the dual bound of a quick priced MIP) and their best
            integer column there (:func:`_remaining_order`): the cities a short MIP did not settle."""
            best = best_priced_column(rows.price(best_lam))
            bound_c = {c: min(best_phi[c], mip_b.get(c, np.inf)) for c in cities}
            done = {c for c, (t, _r) in priced_done.items() if t >= time_limit}
            chosen = _remaining_order([c for c in cities if c not in done], bound_c, best)[:n_cities]
            if chosen:
                priced_mips(time_limit, chosen, "largest gap left")
                master("restricted master MIP (largest-gap columns)", opts.master_time_s, 1e-4, bound_now())

        lam0 = None
        if opts.warm_start:
            # the cities' LPs at the step-1 shares: the first prices, and a column per city that fits its shares
            tasks = [(c, f"shares|{token}|{c}", (token, c, inputs[c], env_src[c], np.zeros((len(env_src[c]), Y)),
                                                 0.0, _city_prices(split, c, shares0[c]))) for c in cities]
            res = runner.map(lp_task, tasks, desc="LP at the step-1 shares", resume=False)
            lam0 = _warm_prices(split, shares0, res)
            for c in cities:
                if res[c] is not None:
                    lp_cols[c].append({"value": res[c]["value"], "usage": _full_usage(split, c, res[c]["usage"]),
                                       "plan": None, "stage": "lp at the step-1 shares"})
            mark(f"LP at the step-1 shares ({sum(res[c]['value'] for c in cities if res[c] is not None):,.2f}): "
                 "first prices", max(best_value, cur["value"]), None)
        rounds, alpha = 0, float(opts.smoothing)
        for rnd in range(opts.lp_rounds):
            rounds = rnd + 1
            lp_value, lam_m, mu, weights = _master_lp(lp_cols, rows, cities)
            if rnd == 0 and lam0 is not None:
                lam = lam0
            elif alpha > 0 and np.isfinite(best_lp):
                lam = alpha * best_lam + (1 - alpha) * lam_m  # smoothed around the best prices so far
            else:
                lam = lam_m
            # integer columns once the prices have settled (the bound within rins_from_gap of the master LP)
            settled = np.isfinite(best_lp) and best_lp - lp_value <= opts.rins_from_gap * max(abs(lp_value), 1e-9)
            res, L = price_round(f"prices {rnd + 1}", lam, rins if settled else 0.0)
            if L < best_lp:
                best_lp, best_lam, best_phi = L, lam, {c: res[c]["phi"] for c in cities}
            price_m = rows.price(lam_m)
            new = n_int = 0
            for c in cities:
                r = res[c]
                if r is None:
                    continue
                col = {"value": r["value"], "usage": _full_usage(split, c, r["usage"]), "plan": None, "stage": "lp"}
                # a new column when it improves the master LP (its reduced cost at the master's own prices)
                if col["value"] - float((price_m * col["usage"]).sum()) - mu[c] > 1e-7 * (1 + abs(r["phi"])):
                    lp_cols[c].append(col)
                    new += 1
                n_int += add_int(c, r, f"integer near the LP, round {rnd + 1}")
            # every round's bound is valid: marked, so the gap at any moment uses the best bound known by then
            mark(f"price round {rnd + 1} (master LP {lp_value:,.2f}, new columns {new}, integer {n_int})",
                 max(best_value, cur["value"]), best_lp if np.isfinite(best_lp) else None)
            if rins and n_int and time.perf_counter() - cur["master_t"] >= opts.master_every_s:
                master(f"restricted master MIP (after price round {rnd + 1})", opts.master_round_time_s, 1e-3,
                       best_lp if np.isfinite(best_lp) else None)
            if np.isfinite(best_lp) and (best_lp - lp_value) <= opts.lp_tol * max(abs(lp_value), 1e-9):
                break
            if time.perf_counter() - t0 > opts.time_limit_s:
                break
            if new == 0:
                if lam is lam_m:
                    break  # no column improves the master LP at its own prices: the rounds have converged
                alpha = 0.0  # a round at mixed prices added nothing (mis-pricing): the master's own prices next
        if not np.isfinite(best_lp):
            raise RuntimeError("no round of the price stage had every city's LP: no valid bound; see the failures")
        # integer rounds: prices from the master LP over the integer columns only, so that the cities add the
        # integer plans that master lacks (price and branch; each round's Lagrangian bound is valid too)
        int_rounds = 0
        for irnd in range(opts.int_rounds if rins else 0):
            if time.perf_counter() - t0 > opts.time_limit_s:
                break
            int_rounds = irnd + 1
            ival, lam_i, mu_i, _w = _master_lp(cols, rows, cities)
            res, L = price_round(f"integer prices {irnd + 1}", lam_i, rins, works_only=True)
            if L < best_lp:
                best_lp, best_lam, best_phi = L, lam_i, {c: res[c]["phi"] for c in cities}
            n_int = sum(add_int(c, res[c], f"integer near the LP, integer round {irnd + 1}", mu_i[c])
                        for c in cities)
            mark(f"integer price round {irnd + 1} (master LP over integer plans {ival:,.2f}, new integer "
                 f"columns {n_int})", max(best_value, cur["value"]), best_lp)
            if not n_int:
                break
        if rins and opts.mix_price_steps:
            nearby_columns(opts.mix_price_steps)
        lp_value, lam, mu, weights = _master_lp(lp_cols, rows, cities)
        times["prices_s"] = time.perf_counter() - t1
        times["price_rounds"] = rounds
        times["integer_rounds"] = int_rounds
        n_offer = opts.handout_cities or max(4 * runner.workers, -(-len(cities) // 4))
        lp_share = {c: sum(w * lp_cols[c][k]["usage"] for (cc, k), w in weights.items() if cc == c) for c in cities}
        lp_city_value = {c: sum(w * lp_cols[c][k]["value"] for (cc, k), w in weights.items() if cc == c)
                         for c in cities}
        if rins:
            t1 = time.perf_counter()
            if opts.split_time_s > 0:
                split_repair(opts.split_time_s)
            times["split_repair_s"] = time.perf_counter() - t1
            if opts.quick_priced_time_s > 0:
                quick_priced(opts.quick_priced_time_s, opts.quick_priced_cities or n_offer)
            if opts.crossover_time_s > 0:
                crossover_columns(opts.crossover_time_s)
            master("restricted master MIP (price-round columns)", opts.master_time_s, 1e-4, bound_now())
            best_value = max(best_value, cur["value"])
        else:
            mark("prices (LP-Lagrangian)", best_value, best_lp)

        def handout(h_round, bound_now, time_limit) -> int:
            """Offer the envelope money the pick leaves unused to the cities with the most to gain (each city
            solve starts from its plan, so it is never worse); keep improvements while every row holds."""
            pick = cur["pick"]
            used = sum(cols[c][pick[c]]["usage"] for c in cities)
            extra = rows.offer(rows.rhs - rows.act(used))
            cand = [c for c in most_to_gain(cities)
                    if any(extra[e].sum() > 1e-6 for e in split.city_envs[c]) and gain(c) > 1e-9][:n_offer]
            if not cand:
                return 0
            tasks = []
            for c in cand:
                caps = _own(split, c, cols[c][pick[c]]["usage"] + extra)
                works = _works(cols[c][pick[c]])
                tasks.append((c, f"handout|{c}|{time_limit}|{_digest(caps)}|{_digest(np.asarray(works).ravel())}",
                              engine_args(c, caps, time_limit, works, _fallback(time_limit))))
            res = runner.map(mip_task, tasks, desc=f"hand-out {h_round}")
            gains = sorted(((res[c]["value"] - cols[c][pick[c]]["value"], c) for c in cand if res[c] is not None),
                           reverse=True)
            accepted = 0
            for up, c in gains:
                if up <= 1e-9:
                    continue
                col = _column(split, c, res[c], "hand-out")
                trial = used - cols[c][pick[c]]["usage"] + col["usage"]
                if rows.holds(trial):
                    cols[c].append(col)
                    pick[c] = len(cols[c]) - 1
                    used = trial
                    accepted += 1
            cur["value"] = sum(cols[c][pick[c]]["value"] for c in cities)
            mark(f"hand-out round {h_round} ({accepted} city plan(s) improved)", max(best_value, cur["value"]),
                 bound_now)
            return accepted

        part = _initial_shares(split)  # the proportional rule of step 1 (where the LP gives no guidance)

        def top_up(desc, time_limit, tie_break, offered_only=False, limit=None):
            """Split the envelope money the pick leaves unused over the cities (:func:`_top_up_fractions`: where
            the plan spends less than the LP's share; the fractions add up to at most one, so the plans fit
            together) and re-solve every city (``offered_only``: every city offered money) from its plan with it:
            results per city. ``limit``: only this many cities are offered money, those with most to gain by the
            master LP (the money is split among them)."""
            pick = cur["pick"]
            usage = {c: cols[c][pick[c]]["usage"] for c in cities}
            extra = rows.offer(rows.rhs - rows.act(sum(usage.values())))
            only = None
            if limit:
                fr = _top_up_fractions(split, part, lp_share, usage)
                offered = [c for c in cities if np.any(extra * fr[c] > 1e-6)]
                only = set(most_to_gain(offered)[:limit])
            fracs = _top_up_fractions(split, part, lp_share, usage, only)
            tasks = []
            for c in cities:
                if offered_only and not np.any(extra * fracs[c] > 1e-6):
                    continue
                caps = _own(split, c, usage[c] + extra * fracs[c] * (1 - 1e-9))
                works = _works(cols[c][pick[c]])
                tasks.append((c, f"topup|{c}|{time_limit}|{tie_break}|{_digest(caps)}|"
                                 f"{_digest(np.asarray(works).ravel())}",
                              engine_args(c, caps, time_limit, works, _fallback(time_limit), tie_break)))
            return runner.map(mip_task, tasks, desc=desc) if tasks else {}

        t1 = time.perf_counter()
        if rins and opts.quick_top_up_time_s > 0:
            # a first, quick top-up of what the price-round plan leaves unused: the better city plans are
            # columns (they fit together by construction) and the new pick
            res = top_up("top-up (quick)", opts.quick_top_up_time_s, False, offered_only=True,
                         limit=opts.quick_top_up_cities or n_offer)
            pick = dict(cur["pick"])
            for c in cities:
                r = res.get(c)
                if r is not None and r["value"] > cols[c][pick[c]]["value"] + 1e-9:
                    cols[c].append(_column(split, c, r, "top-up (quick)"))
                    pick[c] = len(cols[c]) - 1
            used = sum(cols[c][pick[c]]["usage"] for c in cities)
            if rows.holds(used):
                cur["pick"], cur["value"] = pick, sum(cols[c][pick[c]]["value"] for c in cities)
            best_value = max(best_value, cur["value"])
            mark("top-up (quick) of the money left unused", best_value, bound_now())
        times["quick_top_up_s"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        if rins and opts.residual_priced_time_s > 0 and opts.residual_priced_cities > 0:
            residual_priced(opts.residual_priced_time_s, opts.residual_priced_cities)
        times["residual_priced_s"] = time.perf_counter() - t1
        # ---- 3. city MIPs at the LP's split ----------------------------------------------------
        t1 = time.perf_counter()
        tasks = []
        for c in (cities if opts.city_mips else []):
            caps = np.maximum(lp_share[c], 0.0) * (1 - 1e-9)
            tasks.append((c, f"mip|{c}|{_digest(caps)}", engine_args(c, caps, opts.city_time_limit_s, None, 1.0)))
        res = runner.map(mip_task, tasks, desc="city MIPs") if tasks else {}
        for c in cities:
            if res.get(c) is not None:
                cols[c].append(_column(split, c, res[c], "city MIP"))
        times["city_mips_s"] = time.perf_counter() - t1
        if tasks:
            # a first integer plan from the greedy and city-MIP columns (the priced MIPs below add more)
            master("restricted master MIP (city MIPs)", 60.0, 1e-7, bound_now())
            best_value = max(best_value, cur["value"])
        # ---- 3b. priced city MIPs at the best prices: the MIP-Lagrangian bound and more columns --------
        bound_mip = None
        if opts.mip_bound:
            t1 = time.perf_counter()
            price = rows.price(best_lam)
            # a city whose priced MIP at these prices already ran at least this long keeps that result
            reuse = {c: r for c, (t, r) in priced_done.items() if t >= opts.mip_bound_time_s}
            tasks = [(c, f"mipbound|{c}|{opts.mip_bound_time_s}|{_digest(_city_prices(split, c, price))}",
                      (inputs[c], env_src[c], _city_prices(split, c, price), opts.mip_bound_time_s))
                     for c in cities if c not in reuse]
            res_b = runner.map(mip_bound_task, tasks, desc="priced city MIPs")
            res_b.update({c: dict(r, plan=None) for c, r in reuse.items()})  # (their columns are in already)
            lp_at = runner.map(lp_task, [(c, f"lpat|{token}|{c}", (token, c, inputs[c], env_src[c],
                                                                    _city_prices(split, c, price))) for c in cities],
                               desc="LP at best prices", resume=False)
            if all(res_b[c] is not None and lp_at[c] is not None for c in cities):
                bound_mip = sum(min(res_b[c]["bound"], lp_at[c]["phi"], mip_b.get(c, np.inf)) for c in cities) \
                    + float(best_lam @ rows.rhs)
            for c in cities:
                r = res_b[c]
                if r is not None and r.get("plan") is not None:
                    cols[c].append(_column(split, c, r, "priced city MIP"))
        bound = min(bound_now(), bound_mip) if bound_mip is not None else bound_now()  # the best valid bound from here
        if bound_mip is None and mip_b:
            bound_mip = bound_now() if bound_now() < best_lp else None
        if opts.mip_bound:
            times["mip_bound_s"] = time.perf_counter() - t1
            mark("priced city MIPs (MIP-Lagrangian bound)", best_value, bound)
        # ---- 4. restricted master MIP -----------------------------------------------------------
        master("restricted master MIP", max(opts.master_time_s, 30.0), 1e-5, bound)
        best_value = max(best_value, cur["value"])
        pick = cur["pick"]
        # ---- 5. hand-out of unused envelope money ----------------------------------------------
        t1 = time.perf_counter()
        for h_round in range(opts.handout_rounds):
            if not handout(h_round + 1, bound, opts.city_time_limit_s):
                break
        pick = cur["pick"]
        times["handout_s"] = time.perf_counter() - t1
        # ---- 6. top-up with what is left (tie-break) --------------------------------------------
        final_stage = {c: cols[c][pick[c]]["stage"] for c in cities}
        plans = {c: cols[c][pick[c]]["plan"] for c in cities}
        if opts.top_up:
            t1 = time.perf_counter()
            res = top_up("top-up", opts.city_time_limit_s, True)
            for c in cities:
                r = res[c]
                if r is not None and r["value"] >= cols[c][pick[c]]["value"] - 1e-6 * (1 + abs(r["value"])):
                    plans[c] = r["plan"]
                    final_stage[c] = final_stage[c] + " + top-up"
            times["top_up_s"] = time.perf_counter() - t1
        plan = _national_plan(split, plans)
        ev = evaluate_plan(inp, works_from_plan(plan) if len(plan) else pd.DataFrame(
            columns=["location_id", "criterion", "option", "year", "quantity", "cost_rp"]))
        value = float(ev["hectare_years"])
        gap = (bound - value) / max(value, 1e-9)
        t1 = time.perf_counter()
        checks = check_plan(inp, plan.drop(columns=["city", "province"]))
        times["check_s"] = time.perf_counter() - t1
        mark("final plan (re-scored)", value, bound)
        prices = _prices_table(split, rows, best_lam)
        city_tab = _city_table(split, cols, pick, final_stage, lp_share, lp_city_value, plans)
        status = ("optimal" if gap <= opts.city_gap + 1e-12 else f"feasible; proven within {gap:.3%} of the optimum")
        times["total_s"] = time.perf_counter() - t0
        return NationalResult(plan=plan, value=value, bound_lp=best_lp, bound_mip=bound_mip, bound=bound, gap=gap,
                              greedy_value=greedy_value, greedy_plan=greedy_plan, prices=prices, cities=city_tab,
                              timeline=timeline, checks=checks, failures=dict(runner.failures),
                              executor=runner.description, times=times, split=split, status=status,
                              data_status=inp.data_status)
    finally:
        runner.close()


def _fallback(time_limit_s: float) -> float:
    """The city engine's least time for the whole MIP when its decomposition ends without a plan, in a national
    step started from a plan it keeps anyway: half the step's time limit, at most the engine's usual second
    (measured on the 11,000-location benchmark: at 0.3 s limits most solves of the mixing cities fell back and
    took 1.6-2.8 s each)."""
    return min(1.0, 0.5 * float(time_limit_s))


def _warm_prices(split: NationalSplit, shares: dict, res: dict) -> np.ndarray:
    """First row prices: per envelope row, the mean of the cities' marginal values of that row's money in their
    LPs at the step-1 shares (``res[c]["dual"]``), weighted by the shares (cities whose LP failed left out).
    For one envelope alone the price at which the cities' LP demand meets it lies between the smallest and the
    largest of those values (the cities' LP values are concave in their money); the mean is a start."""
    E, Y = split.env_budget_m.shape
    lam = np.zeros(E * Y)
    for e in range(E):
        for y in range(Y):
            num = den = 0.0
            for c in split.env_cities[e]:
                r = res.get(c)
                if r is None:
                    continue
                w = float(shares[c][e, y])
                num += w * float(r["dual"][split.city_envs[c].index(e), y])
                den += w
            lam[e * Y + y] = num / den if den > 0 else 0.0
    return lam


def _top_up_fractions(split: NationalSplit, part: dict, lp_share: dict, usage: dict, only=None) -> dict:
    """Per city, the fraction (E x Y) of each envelope's unused money it is offered.

    In proportion to what the city's plan spends below its share in the master LP (the LP's split says
    the money is worth most there); for an envelope and year where no city is below its LP share, in
    proportion to the step-1 shares ``part``. For each envelope and year the fractions over its cities add up
    to one (to zero where that envelope has no money that year and no city is below its LP share; zero for
    cities outside it), so every city may spend its part and the plans still fit together (with
    :meth:`_Rows.offer`, cumulative rows of a carry-over envelope included). ``only``: the money goes to
    these cities alone (the others' fractions are zero; the rule above among them).
    """
    E, Y = split.env_budget_m.shape
    among = [c for c in split.cities if only is None or c in only]
    short = {c: np.zeros((E, Y)) for c in among}
    for c in among:
        for e in split.city_envs[c]:
            short[c][e] = np.maximum(lp_share[c][e] - usage[c][e], 0.0)
    tot_short = sum(short.values()) if among else np.zeros((E, Y))
    tot_part = sum(_own(split, c, part[c]) for c in among) if among else np.zeros((E, Y))
    out = {c: np.zeros((E, Y)) for c in split.cities}
    for c in among:
        f = np.zeros((E, Y))
        for e in split.city_envs[c]:
            by_lp = tot_short[e] > 1e-9
            f[e] = np.where(by_lp, np.divide(short[c][e], tot_short[e], out=np.zeros(Y), where=by_lp),
                            np.divide(part[c][e], tot_part[e], out=np.zeros(Y), where=tot_part[e] > 0))
        out[c] = f
    return out


def _column_weights(w: dict) -> dict:
    """The master LP's weights ``{(city, column): weight}`` per city: ``{city: [(column, weight), ...]}`` for the
    weights above 1e-9. A city with two or more *mixes* its columns (in a basic solution at most as many cities
    as there are envelope rows); with one, that column has weight 1."""
    out = {}
    for (c, k), wk in w.items():
        if wk > 1e-9:
            out.setdefault(c, []).append((k, wk))
    return out


def _remaining_order(cands, bound: dict, best: dict) -> list:
    """``cands`` by the gap left between each city's bound at the best prices (``bound``: its priced LP value or
    the dual bound of its priced MIP) and the best priced value of its integer columns (``best``), largest
    first; cities with no gap left dropped; ties by name."""
    gap = {c: bound[c] - best[c] for c in cands}
    return sorted((c for c in cands if gap[c] > 1e-9 * (1 + abs(bound[c]))), key=lambda c: (-gap[c], c))


def _own(split: NationalSplit, c: str, full: np.ndarray) -> np.ndarray:
    """Keep only a city's own envelopes in an (E x Y) array (others 0)."""
    out = np.zeros_like(full)
    for e in split.city_envs[c]:
        out[e] = full[e]
    return out


def _national_plan(split: NationalSplit, plans: dict) -> pd.DataFrame:
    parts = []
    for c in split.cities:
        p = plans.get(c)
        if p is None or not len(p):
            continue
        p = p.drop(columns=["option_row"], errors="ignore").copy()
        p.insert(p.columns.get_loc("kecamatan") + 1, "city", c)
        p.insert(p.columns.get_loc("city") + 1, "province", split.province[c])
        parts.append(p)
    if not parts:
        from ..allocate.results import PLAN_COLUMNS

        return pd.DataFrame(columns=PLAN_COLUMNS[:4] + ["city", "province"] + PLAN_COLUMNS[4:])
    return pd.concat(parts, ignore_index=True)


def _prices_table(split: NationalSplit, rows: _Rows, lam: np.ndarray) -> pd.DataFrame:
    price = rows.price(lam)
    out = []
    for e in range(len(split.envelopes)):
        for yi, y in enumerate(split.years):
            out.append({"source": split.env_source[e], "scope": split.env_label[e], "year": y,
                        "cities": len(split.env_cities[e]), "budget_rp": split.env_budget_m[e, yi] * 1e6,
                        "price_ha_years_per_m_rp": float(price[e, yi]),
                        "ha_years_per_bn_rp": float(price[e, yi]) * 1e3})
    return pd.DataFrame(out)


def _city_table(split, cols, pick, final_stage, lp_share, lp_value, plans) -> pd.DataFrame:
    out = []
    for c in split.cities:
        col = cols[c][pick[c]]
        p = plans[c]
        out.append({"city": c, "province": split.province[c], "locations": len(split.loc_of_city[c]),
                    "greedy_ha_years": cols[c][0]["value"], "plan_ha_years": col["value"],
                    "lp_ha_years": lp_value[c], "plan_from": final_stage[c], "city_status": col.get("status", ""),
                    "spend_rp": float(p["cost_rp"].sum()) if p is not None and len(p) else 0.0,
                    "envelope_share_m": float(lp_share[c].sum())})
    return pd.DataFrame(out)
