"""What "cleared" (no longer slum) means: the profile's clearance rules applied to volumes.

A rule is a row of the profile's ``clearance.csv`` (:class:`~kotaku_decide.data.profiles.ClearanceRule`):
a location is cleared when its re-scored total is below ``total_below`` and, when the rule names
services, each of those aspects is served at least ``min_service_pct`` per cent. Resettled locations
leave the slum list at their site whatever their scores.

These are pure array functions: the allocation engine (model, greedy rule, checker, results), the
progress report and the hearing report call the same code, so every part of the toolkit counts the
same locations as cleared.

References
----------
.. [1] Permen PUPR 14/PRT/M/2018 Lampiran I: a total below 16 is not slum.
.. [2] KOTAKU programme (kotaku.pu.go.id, tag "Kumuh"): a location is declared no longer slum when its
       final score falls below 19 and the service level of five indicators (road, drainage, clean
       water, wastewater, solid waste) reaches at least 80 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.profiles import ClearanceRule, Profile
from .scoring import round_half_up, score_permen

__all__ = ["ClearanceResult", "clearance", "cleared", "service_levels", "resolve_rule", "service_constraints"]


@dataclass(frozen=True)
class ClearanceResult:
    """Clearance of ``n`` locations under one rule.

    Attributes
    ----------
    rule : ClearanceRule
    cleared : ndarray of bool, shape (n,)
        Cleared under the rule (or resettled).
    total : ndarray of int, shape (n,)
        Re-scored total [points].
    total_ok : ndarray of bool, shape (n,)
        ``total < rule.total_below``.
    services : tuple of str
        The rule's service aspects (column order of the two arrays below).
    service_pct : ndarray, shape (n, len(services))
        Service level of each aspect [%] as the rule reads it (rounded like the profile's shares).
    service_met : ndarray of bool, shape (n, len(services))
        ``service_pct >= rule.min_service_pct``.
    resettled : ndarray of bool, shape (n,)
    """

    rule: ClearanceRule
    cleared: np.ndarray
    total: np.ndarray
    total_ok: np.ndarray
    services: tuple
    service_pct: np.ndarray
    service_met: np.ndarray
    resettled: np.ndarray

    @property
    def services_ok(self) -> np.ndarray:
        """Every service of the rule met (True where the rule names none)."""
        return self.service_met.all(axis=1) if self.service_met.shape[1] else np.ones(len(self.total), bool)

    def services_missed(self) -> list[list[str]]:
        """Per location, the rule's aspects whose service level is below the minimum."""
        return [[a for a, ok in zip(self.services, row) if not ok] for row in self.service_met]


def resolve_rule(profile: Profile, rule: ClearanceRule | str | None = None) -> ClearanceRule:
    """The rule object: a :class:`ClearanceRule`, a rule name of the profile, or ``None`` for its default."""
    if isinstance(rule, ClearanceRule):
        return rule
    return profile.clearance_rule(rule)


def service_levels(pct: np.ndarray, aspect_avg: np.ndarray, profile: Profile, rule: ClearanceRule) -> np.ndarray:
    """Service level [%] of each of the rule's aspects, from shares and aspect averages.

    Parameters
    ----------
    pct : ndarray, shape (n, criteria)
        Share of the unit affected per criterion [%] (:func:`~.scoring.score_permen` ``pct``).
    aspect_avg : ndarray, shape (n, aspects)
        Average condition per aspect [%] (``aspect_avg``), in ``profile.aspects`` order.
    profile, rule

    Returns
    -------
    ndarray, shape (n, len(rule.services))
        ``aspect_average``: 100 - the aspect's average condition; ``each_criterion``: 100 - the
        largest share among the aspect's criteria. Rounded half up to the profile's decimals, as the
        shares are before banding, so 79.996 % reads 80.00 %.
    """
    n = pct.shape[0]
    out = np.empty((n, len(rule.services)))
    aspects = list(profile.aspects)
    crit_aspect = profile.criteria["aspect"].to_numpy()
    for k, a in enumerate(rule.services):
        if rule.service_basis == "aspect_average":
            out[:, k] = 100.0 - aspect_avg[:, aspects.index(a)]
        else:
            out[:, k] = 100.0 - pct[:, np.flatnonzero(crit_aspect == a)].max(axis=1)
    r = profile.rounding
    if r.get("method") == "half_up":
        out = round_half_up(np.clip(out, 0.0, 100.0), int(r.get("decimals", 2)))
    return out


def clearance(volumes: np.ndarray, denominators: np.ndarray, profile: Profile,
              rule: ClearanceRule | str | None = None, resettled: np.ndarray | None = None,
              scored: dict | None = None) -> ClearanceResult:
    """Apply a clearance rule to locations given their (remaining) volumes.

    Parameters
    ----------
    volumes, denominators : ndarray, shape (n, criteria)
        Affected volumes left and denominators in the profile's criterion order and units
        (:func:`~.scoring.volume_matrix`, :func:`~.scoring.denominator_matrix`).
    profile : Profile
    rule : ClearanceRule, rule name or None (the profile's default rule)
    resettled : ndarray of bool, shape (n,), optional
        Locations resettled (pemukiman kembali): cleared at their site whatever their volumes.
    scored : dict, optional
        :func:`~.scoring.score_permen` of the same volumes, if the caller has it already.

    Returns
    -------
    ClearanceResult
    """
    rule = resolve_rule(profile, rule)
    s = scored if scored is not None else score_permen(volumes, denominators, profile)
    total = np.asarray(s["total"])
    res = np.zeros(len(total), bool) if resettled is None else np.asarray(resettled, bool)
    total_ok = total < rule.total_below
    svc = service_levels(s["pct"], s["aspect_avg"], profile, rule)
    met = svc >= rule.min_service_pct
    ok = total_ok & (met.all(axis=1) if met.shape[1] else True)
    return ClearanceResult(rule=rule, cleared=ok | res, total=total, total_ok=total_ok, services=rule.services,
                           service_pct=svc, service_met=met, resettled=res)


def cleared(volumes: np.ndarray, denominators: np.ndarray, profile: Profile,
            rule: ClearanceRule | str | None = None, resettled: np.ndarray | None = None) -> np.ndarray:
    """Boolean array: each location cleared under the rule (see :func:`clearance`)."""
    return clearance(volumes, denominators, profile, rule, resettled).cleared


def service_constraints(profile: Profile,
                        rule: ClearanceRule | str | None = None) -> list[tuple[str, np.ndarray, float]]:
    """The rule's service condition as linear constraints on shares, for an optimisation model.

    Returns
    -------
    list of (aspect, criterion column indices, limit [%])
        A location meets the rule's services when, for every item, the sum of its shares [%] over the
        columns is at most ``limit``: ``aspect_average`` gives one item per aspect, limit
        ``n x (100 - min_service_pct + r)``; ``each_criterion`` one item per criterion, limit
        ``100 - min_service_pct + r``; ``r`` is half the profile's rounding step (0.005 with 2 decimals,
        so 79.995 % reads 80.00 %) less 1e-9 so that a plan meeting the limits always passes
        :func:`clearance`. Empty when the rule names no services.

    Notes
    -----
    Shares are linear in the volumes left (``100 x volume / denominator``), so each item is a linear
    constraint on the works chosen. A model that clears location ``i`` in year ``y`` (``z[i, y] = 1``)
    needs, for each item, ``sum(share_after) <= limit + M x (1 - z[i, y])`` with ``M`` the sum of the
    baseline shares over the columns (or resettlement of the location).
    """
    rule = resolve_rule(profile, rule)
    if not rule.services:
        return []
    r = profile.rounding
    half = 0.5 * 10.0 ** -int(r.get("decimals", 2)) if r.get("method") == "half_up" else 0.0
    room = 100.0 - rule.min_service_pct + half - 1e-9
    crit_aspect = profile.criteria["aspect"].to_numpy()
    out = []
    for a in rule.services:
        cols = np.flatnonzero(crit_aspect == a)
        if rule.service_basis == "aspect_average":
            out.append((a, cols, len(cols) * room))
        else:
            out += [(a, np.array([c]), room) for c in cols]
    return out
