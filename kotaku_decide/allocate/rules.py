"""One vocabulary for the rules of an allocation: the name every part of the engine uses.

Each rule family has one name. The model writes its rows under that name or one of its ``checks``
(``model.rows[name]``; rows that only define variables are :data:`DEFINITIONS`),
the evidence relaxes it under that name (the binding rule of an unfunded location), the greedy rule
and the checker report it under that name (a checker finding's ``rule`` is the family's name or, for
finer findings, one of its ``checks``), and the report labels come from ``labels/<lang>.yaml``
section ``binding`` under the same name.

``RULES`` is the table; :data:`RELAXABLE` (families the model can relax for one location) and
:data:`EXPLAINED` (families the explanations try) are read from it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Rule", "RULES", "RELAXABLE", "EXPLAINED", "rule_of_check", "CHECK_KINDS", "DEFINITIONS"]


@dataclass(frozen=True)
class Rule:
    """One rule family.

    Attributes
    ----------
    name : str
        The one name (model row family, evidence family, checker rule, label key).
    description : str
        What it says, in a line.
    checks : tuple of str
        Finer checker findings that belong to it (besides ``name`` itself).
    relaxable : bool
        The model can drop it for one location (:class:`~.model.ModelSpec` ``relax``).
    explained : bool
        The explanations relax it to find what keeps a location out.
    """

    name: str
    description: str
    checks: tuple = ()
    relaxable: bool = False
    explained: bool = False


RULES: tuple = (
    Rule("budget", "money per source and year, with carry-over where the source allows it",
         checks=("budget_scope",), relaxable=True, explained=True),
    Rule("kelurahan_cap", "a source's yearly cap per kelurahan", relaxable=True, explained=True),
    Rule("eligibility", "which works a source may pay (rebuilt options: not a model row)", explained=True),
    Rule("authority", "which sources may pay at a location, by its area (rebuilt options)", explained=True),
    Rule("legality", "in-situ works need legal land (or legalisation); resettlement excludes them",
         checks=("resettlement",), explained=True),
    Rule("precedence", "works of the `after` criteria need a `before` work by the same year",
         relaxable=True, explained=True),
    Rule("capacity", "most locations started per year, city-wide and per kelurahan",
         checks=("capacity_kelurahan",), relaxable=True, explained=True),
    Rule("equity", "each group's least share of total spend", relaxable=True, explained=True),
    Rule("swadaya_share", "the community's least share of in-situ spend per location and year"),
    Rule("one_target", "at most one target per location and criterion"),
    Rule("paid_in_full", "every work paid exactly (quantity x unit cost) by eligible sources",
         checks=("catalogue", "unit_cost", "quantity", "option")),
    Rule("locks", "locked-in locations cleared by the last year; locked-out ones get nothing",
         checks=("locked_in", "locked_out")),
    Rule("target", "the hectares target by its year"),
    Rule("known", "a plan row names a known location, year and source", checks=("unknown", "year", "source")),
)

RELAXABLE: tuple = tuple(r.name for r in RULES if r.relaxable)
EXPLAINED: tuple = tuple(r.name for r in RULES if r.explained)
#: model row families that define variables rather than state a rule (money balance, what "cleared" and
#: "started" mean, the cheapest-package bound, works done together)
DEFINITIONS: tuple = ("balance", "cleared", "cleared_monotone", "services", "min_cost", "start_has_work", "start_once",
                      "started", "same_year")
#: every finding name the checker may report
CHECK_KINDS: frozenset = frozenset(k for r in RULES for k in (r.name, *r.checks))


def rule_of_check(kind: str) -> str:
    """The rule family a checker finding belongs to (``KeyError`` for a name not in :data:`RULES`)."""
    for r in RULES:
        if kind == r.name or kind in r.checks:
            return r.name
    raise KeyError(f"checker finding {kind!r} is not in allocate.rules.RULES")
