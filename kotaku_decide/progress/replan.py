"""Re-planning inputs: the years before ``from_year`` fixed to what was realised.

``kotaku-decide replan`` (the allocation engine's part) plans the years from ``from_year`` on; this
module turns realised works into what the engine must hold fixed:

- ``works``: one row per realised (location, criterion, year) before ``from_year``, with the plan's
  ``option`` when the realised volume matches a planned work of that location and criterion (the
  model's variable for that option and year can be fixed to 1), else ``option`` empty (a partial or
  unplanned work: it enters as a smaller baseline volume, ``volumes_left``);
- ``spent``: money spent per source and year before ``from_year`` [Rp] (taken off those budgets);
- ``volumes_left``: the baseline's ``vol_<input_key>`` columns after the realised works, floored at
  0, ready to be scored as the new starting condition;
- ``resettled``: locations whose households were all resettled (off the slum list at their site);
- ``legalised``: locations whose whole area was legalised (in-situ works allowed from ``from_year``).

Pure functions: no solver, no files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.profiles import Profile
from .condition import volumes_after, work_volumes

__all__ = ["FixedPast", "fixed_past"]

_TOL = 1e-6


@dataclass(frozen=True)
class FixedPast:
    """What re-planning from ``from_year`` must keep.

    Attributes
    ----------
    from_year : int
    works : DataFrame
        ``location_id, criterion, year, volume, cost_rp, option, matches_plan`` (realised before
        ``from_year``; ``option`` the planned option whose quantity the realised volume reached).
    spent : DataFrame
        ``source, year, spent_rp`` [Rp], every year before ``from_year`` that has spending.
    volumes_left : DataFrame
        The baseline with its ``vol_`` columns reduced by the realised works.
    resettled : tuple of str
        Location ids resettled before ``from_year``.
    legalised : tuple of str
        Location ids whose whole area (``area_ha``) was legalised before ``from_year``.
    """

    from_year: int
    works: pd.DataFrame
    spent: pd.DataFrame
    volumes_left: pd.DataFrame
    resettled: tuple
    legalised: tuple = ()

    def spent_by(self, source: str, year: int) -> float:
        """Money already spent by ``source`` in ``year`` [Rp] (0 if none)."""
        m = (self.spent["source"] == source) & (self.spent["year"] == year)
        return float(self.spent.loc[m, "spent_rp"].sum())


def fixed_past(baseline: pd.DataFrame, profile: Profile, realised: pd.DataFrame, from_year: int,
               plan: pd.DataFrame | None = None) -> FixedPast:
    """Realised works before ``from_year`` as fixed works, money spent and the volumes left.

    Parameters
    ----------
    baseline : validated baseline (at the plan's level)
    profile : Profile
    realised : validated realised works (:func:`kotaku_decide.data.realised.load_realised`)
    from_year : first year to re-plan; works of ``from_year`` and later are ignored here
    plan : the original plan (``plan.csv``), to name the option each realised work completes

    Returns
    -------
    FixedPast
    """
    past = realised[realised["year"] < from_year]
    w = work_volumes(past) if len(past) else pd.DataFrame(
        columns=["location_id", "criterion", "year", "volume", "cost_rp"])
    opt = [None] * len(w)
    if plan is not None and len(plan) and len(w):
        keys = ["location_id", "criterion", "option", "year"]
        pw = plan.groupby(keys, sort=True).agg(quantity=("quantity", "first")).reset_index()
        for k, (lid, c, v) in enumerate(zip(w["location_id"], w["criterion"], w["volume"])):
            cand = pw[(pw["location_id"] == lid) & (pw["criterion"] == c)]
            hit = cand[np.abs(cand["quantity"].to_numpy(float) - float(v)) <= _TOL * np.maximum(1.0, float(v))]
            if len(hit):
                opt[k] = str(hit["option"].iloc[0])
    works = w.assign(option=opt, matches_plan=[o is not None for o in opt])
    spent = (past.groupby(["source", "year"])["cost_rp"].sum().rename("spent_rp").reset_index()
             if len(past) else pd.DataFrame(columns=["source", "year", "spent_rp"]))
    V, res = volumes_after(baseline, profile, w if len(w) else w.astype({"volume": float}))
    left = baseline.copy()
    for j, key in enumerate(profile.input_keys):
        left[f"vol_{key}"] = V[:, j]
    left = left.drop(columns=[c for c in left.columns if c.startswith("pct_")])  # the volumes are the data now
    ids = baseline["location_id"].astype(str).to_numpy()
    leg = w[w["criterion"] == "legalisation"].groupby("location_id")["volume"].sum() if len(w) else pd.Series()
    area = pd.Series(baseline["area_ha"].to_numpy(float), index=ids)
    legalised = tuple(i for i in ids if i in leg.index and leg[i] >= area[i] * (1 - _TOL))
    return FixedPast(from_year=int(from_year), works=works.reset_index(drop=True), spent=spent,
                     volumes_left=left, resettled=tuple(ids[res]), legalised=legalised)
