"""Scenario files: one validated default, files hold overrides only.

A scenario is a YAML mapping merged key by key onto ``kotaku_decide/data/config/default_scenario.yaml``.
Every key in a scenario file must exist in the default (a misspelled key is refused with its full
path and a close match); every value is type- and bounds-checked. Paths are relative to the
scenario file. The resolved scenario (defaults + overrides, absolute paths) is what the
allocation uses and what it saves next to its results.

Later issues (batch grids, report language, ranking options) extend :data:`SPEC` and the default
file; the loading rules stay the same.
"""

from __future__ import annotations

import copy
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .bounds import bound, bounds
from .embedded import EMBEDDED
from .safeyaml import YamlError, load_yaml

__all__ = ["Scenario", "ScenarioError", "load_scenario", "default_scenario", "DEFAULT_SCENARIO_PATH",
           "EMBEDDED", "SPEC"]

_PKG = Path(__file__).parent
DEFAULT_SCENARIO_PATH = _PKG / "config" / "default_scenario.yaml"


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names every bad key path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid scenario:\n  " + "\n  ".join(problems))


# Types by key path. Keys whose default is not null take their type from the default unless listed
# here. ``free`` marks mappings whose keys are user data (location ids, criteria). The numeric bounds of
# every key are data: the bounds table ``config/bounds.csv`` (see :mod:`kotaku_decide.data.bounds`).
_NUM = (int, float)
SPEC: dict[str, dict] = {
    "schema_version": {"type": int, "choices": [1]},
    "profile": {"type": str},
    "data.baseline": {"type": str, "nullable": True, "path": True},
    "data.costs": {"type": str, "nullable": True, "path": True},
    "data.budget": {"type": str, "nullable": True, "path": True},
    "data.funding_rules": {"type": str, "nullable": True, "path": True},
    "data.boundaries": {"type": str, "nullable": True, "path": True},
    "data.level": {"type": str, "choices": ["rt", "kawasan", "kelurahan"]},
    "years.start": {"type": int},
    "years.end": {"type": int},
    "costs.price_index": {"type": _NUM},
    "costs.work_choice": {"type": dict, "free": True, "values": str},
    "costs.location_factor": {"type": dict, "free": True, "values": _NUM},
    "costs.location_unit_cost": {"type": dict, "free": True, "values": dict},
    # target names come from the profile's score bands (lt76, lt51, lt25, zero under 14/2018), checked in prepare
    "options.targets": {"type": list, "items": str},
    "options.legalised": {"type": list, "items": str},
    # a rule name of the profile's clearance.csv (checked in prepare); null = the profile's default rule
    "options.clearance_rule": {"type": str, "nullable": True},
    "funding.budget_factor": {"type": _NUM},
    "funding.swadaya_share": {"type": _NUM},
    "funding.source_factor": {"type": dict, "free": True, "values": _NUM},
    "ranking.method": {"type": str, "choices": ["official", "wsm", "topsis", "vikor"]},
    "ranking.basis": {"type": str, "choices": ["scores", "shares"]},
    "ranking.weights": {"type": str, "nullable": True, "path": True},
    "ranking.ahp": {"type": list, "items": str},
    "ranking.draws": {"type": int},
    "ranking.seed": {"type": int},
    "ranking.top_k": {"type": int},
    "report.lang": {"type": str, "choices": ["en", "id"]},
    "report.dpi": {"type": int},
    "report.processes": {"type": int},
    "report.explain_time_limit_s": {"type": _NUM},
    "funding.carry_over": {"type": bool, "nullable": True},
    "funding.authority_cutoffs_ha": {"type": list, "nullable": True, "items": _NUM, "length": 2},
    "rules.precedence": {"type": list, "items": dict},
    "rules.locked_in": {"type": list, "items": str},
    "rules.precedence_done": {"type": list, "items": str},
    "rules.locked_out": {"type": list, "items": str},
    "rules.equity_min_share": {"type": _NUM},
    "rules.max_starts_per_year": {"type": int, "nullable": True},
    "rules.max_starts_per_kelurahan": {"type": int, "nullable": True},
    "objective.kind": {"type": str, "choices": ["hectares", "households", "least_cost"]},
    "objective.discount_rate": {"type": _NUM},
    "objective.target_hectares": {"type": (int, float, str), "nullable": True},
    "objective.target_year": {"type": int, "nullable": True},
    "solver.time_limit_s": {"type": _NUM},
    "solver.guard_s": {"type": _NUM, "nullable": True},
    "solver.mip_rel_gap": {"type": _NUM},
    "solver.threads": {"type": int},
    "solver.seed": {"type": int},
    "solver.tie_break_time_s": {"type": _NUM},
    "lift_limits": {"type": list, "items": str},
}


@dataclass
class Scenario:
    """A resolved scenario: ``values`` (defaults + overrides, absolute paths) and where it came from."""

    values: dict
    source: str = "<default>"
    overrides: dict = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        """Dotted access: ``scenario['solver.time_limit_s']``."""
        cur: Any = self.values
        for part in key.split("."):
            cur = cur[part]
        return cur

    def replace(self, overrides: dict) -> "Scenario":
        """A new scenario with more overrides (validated the same way); paths relative to the cwd."""
        base = copy.deepcopy(self.overrides)
        # paths already resolved against the original file stay as they were resolved
        for k, v in self.values["data"].items():
            if k != "level" and v is not None:
                base.setdefault("data", {})[k] = v
        if self.values["ranking"]["weights"] is not None:
            base.setdefault("ranking", {})["weights"] = self.values["ranking"]["weights"]
        if self.values["ranking"]["ahp"]:
            base.setdefault("ranking", {})["ahp"] = list(self.values["ranking"]["ahp"])
        merged = _deep_merge(base, overrides)
        return _resolve(merged, Path.cwd(), self.source)

    def data_path(self, key: str) -> Path:
        """Path of a data file (``baseline``, ``costs``, ``budget``, ``funding_rules``)."""
        p = self.values["data"][key]
        return Path(p) if p is not None else EMBEDDED[key]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.values, sort_keys=False, allow_unicode=True)


def default_scenario() -> dict:
    """The default scenario as a plain dict (a fresh copy)."""
    with open(DEFAULT_SCENARIO_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _deep_merge(base: dict, over: dict, prefix: str = "") -> dict:
    """Merge ``over`` into ``base`` key by key; a free mapping (e.g. ``funding.source_factor``) is
    replaced as a whole, so ``{}`` clears it."""
    for k, v in over.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and isinstance(base.get(k), dict) and not SPEC.get(path, {}).get("free"):
            base[k] = _deep_merge(base[k], v, path + ".")
        elif path == "lift_limits" and isinstance(v, list) and isinstance(base.get(k), list):
            base[k] = list(dict.fromkeys(base[k] + v))  # lifting more never un-lifts what the file lifted
        else:
            base[k] = v
    return base


def _type_name(t) -> str:
    ts = t if isinstance(t, tuple) else (t,)
    return " or ".join({int: "integer", float: "number", str: "text", bool: "true/false", list: "list",
                        dict: "mapping"}.get(x, x.__name__) for x in ts)


def _is_type(v, t) -> bool:
    ts = t if isinstance(t, tuple) else (t,)
    if isinstance(v, bool) and bool not in ts:
        return False  # yes/no is not a number
    if float in ts and isinstance(v, int) and not isinstance(v, bool):
        return True
    return isinstance(v, ts)


def _number_problem(pattern: str, shown: str, v, lifted: set) -> str | None:
    """The bounds-table problem of a number (any number must be finite, with or without a row)."""
    if isinstance(v, float) and not math.isfinite(v):
        return f"{shown}: {v!r} is not a finite number"
    b = bound(pattern)
    if b is None:
        return None
    msg = b.problem(v, lifted=pattern in lifted)
    return f"{shown}: {msg}" if msg else None


def _check(over: dict, default: dict, prefix: str, problems: list[str], lifted: set = frozenset()) -> None:
    for k, v in over.items():
        path = f"{prefix}{k}"
        if k not in default:
            close = difflib.get_close_matches(str(k), [str(x) for x in default], n=1, cutoff=0.6)
            hint = f"; did you mean {prefix}{close[0]!r}?" if close else f"; known keys here: {sorted(default)}"
            problems.append(f"{path}: unknown key{hint}")
            continue
        spec = SPEC.get(path, {})
        dv = default[k]
        if v is None:
            if not spec.get("nullable") and dv is not None:
                problems.append(f"{path}: must not be empty (null)")
            continue
        t = spec.get("type", type(dv) if dv is not None else object)
        if t is float or t is int and isinstance(dv, float):
            t = _NUM
        if not _is_type(v, t):
            problems.append(f"{path}: expected {_type_name(t)}, got {type(v).__name__} {v!r}")
            continue
        if isinstance(v, dict) and not spec.get("free"):
            _check(v, dv if isinstance(dv, dict) else {}, path + ".", problems, lifted)
            continue
        if isinstance(v, dict) and "values" in spec:
            for kk, vv in v.items():
                if not _is_type(vv, spec["values"]):
                    problems.append(f"{path}.{kk}: expected {_type_name(spec['values'])}, got {vv!r}")
                elif isinstance(vv, dict):  # location_unit_cost: location -> {work_id: unit cost}
                    for kw, cost in vv.items():
                        if not _is_type(cost, _NUM):
                            problems.append(f"{path}.{kk}.{kw}: expected a number, got {cost!r}")
                        else:
                            msg = _number_problem(f"{path}.*.*", f"{path}.{kk}.{kw}", cost, lifted)
                            problems += [msg] if msg else []
                elif _is_type(vv, _NUM):
                    problems += filter(None, [_number_problem(f"{path}.*", f"{path}.{kk}", vv, lifted)])
        if "choices" in spec and v not in spec["choices"]:
            close = difflib.get_close_matches(str(v), [str(c) for c in spec["choices"]], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{path}: {v!r} is not one of {spec['choices']}{hint}")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            problems += filter(None, [_number_problem(path, path, v, lifted)])
        if isinstance(v, list):
            if "length" in spec and len(v) != spec["length"]:
                problems.append(f"{path}: expected {spec['length']} items, got {len(v)}")
            for i, item in enumerate(v):
                if "items" in spec and not _is_type(item, spec["items"]):
                    problems.append(f"{path}[{i}]: expected {_type_name(spec['items'])}, got {item!r}")
                elif "choices_items" in spec and item not in spec["choices_items"]:
                    problems.append(f"{path}[{i}]: {item!r} is not one of {spec['choices_items']}")
                elif isinstance(item, (int, float)) and not isinstance(item, bool):
                    problems += filter(None, [_number_problem(f"{path}[]", f"{path}[{i}]", item, lifted)])


def _lifted(overrides: dict, problems: list[str]) -> set:
    """The keys a scenario lifts the limits of (``lift_limits``): each must be a scenario ``limit`` row."""
    keys = overrides.get("lift_limits") or []
    if not isinstance(keys, list):
        return set()  # the type check reports it
    out = set()
    for i, k in enumerate(keys):
        b = bound(k) if isinstance(k, str) else None
        if b is None or k.startswith(("cli.", "batch.", "baseline.", "budget.", "yaml.")):
            limits = sorted(x for x, r in bounds().items() if r.kind == "limit" and "." in x
                            and not x.startswith(("cli.", "batch.", "baseline.", "budget.", "yaml.")))
            problems.append(f"lift_limits[{i}]: {k!r} is not a scenario key with a limit; expected one of {limits}")
        elif b.kind != "limit":
            problems.append(f"lift_limits[{i}]: {k!r} is a hard bound {b.text} ({b.reason}); it cannot be lifted")
        else:
            out.add(k)
    return out


def _check_semantics(v: dict, problems: list[str], lifted: set = frozenset()) -> None:
    if v["years"]["end"] < v["years"]["start"]:
        problems.append(f"years.end ({v['years']['end']}) is before years.start ({v['years']['start']})")
    else:
        span = v["years"]["end"] - v["years"]["start"] + 1
        msg = _number_problem("years.span", "years", span, lifted)
        if msg:
            problems.append(f"{msg} (years.start {v['years']['start']} to years.end {v['years']['end']})")
    ty = v["objective"]["target_year"]
    if ty is not None and not (v["years"]["start"] <= ty <= v["years"]["end"]):
        problems.append(f"objective.target_year: {ty} is outside the years {v['years']['start']}-{v['years']['end']}")
    th = v["objective"]["target_hectares"]
    if isinstance(th, str) and th != "all":
        problems.append(f"objective.target_hectares: expected a number of hectares or 'all', got {th!r}")
    if v["objective"]["kind"] == "least_cost" and th is None:
        problems.append("objective.target_hectares: the least_cost objective needs a target (hectares or 'all')")
    for i, rule in enumerate(v["rules"]["precedence"]):
        if set(rule) != {"before", "after"} or not all(isinstance(rule[k], list) for k in rule):
            problems.append(f"rules.precedence[{i}]: expected a mapping with lists 'before' and 'after', got {rule!r}")
    cut = v["funding"]["authority_cutoffs_ha"]
    if cut is not None and len(cut) == 2 and not (0 < cut[0] <= cut[1]):
        problems.append(f"funding.authority_cutoffs_ha: expected 0 < city/province <= province/central, got {cut}")
    both = set(v["rules"]["locked_in"]) & set(v["rules"]["locked_out"])
    if both:
        problems.append(f"rules.locked_in and rules.locked_out both name {sorted(both)}")


def _csv_text_problem(path: Path) -> str | None:
    """Why a CSV table (costs, budget, funding rules) cannot be read as text, or None."""
    if path.stat().st_size > 50_000_000:
        return "larger than 50 MB; expected a table of works, budgets or funding rules"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as 'CSV UTF-8'"
    if "\x00" in text:
        return "holds a NUL byte; expected a text CSV (is it another kind of file renamed .csv?)"
    if not any(line.strip() and not line.startswith("#") for line in text.splitlines()):
        return "is empty; expected a header row and one row per entry"
    return None


def _resolve(overrides: dict, base_dir: Path, source: str) -> Scenario:
    default = default_scenario()
    problems: list[str] = []
    if not isinstance(overrides, dict):
        raise ScenarioError([f"{source}: expected a mapping of overrides at the top level"])
    lifted = _lifted(overrides, problems)
    _check(overrides, default, "", problems, lifted)
    if problems:
        raise ScenarioError(problems)
    values = _deep_merge(default, copy.deepcopy(overrides))
    _check_semantics(values, problems, lifted)

    def _file(p, where, folder_ok=False):
        try:
            path = Path(p)
            if not path.is_absolute():
                path = (base_dir / path).resolve()
            if not path.exists():
                problems.append(f"{where}: file not found: {path}")
            elif not path.is_file() and not folder_ok:
                problems.append(f"{where}: {path} is a folder; expected a file")
        except (ValueError, OSError) as exc:  # an embedded NUL byte, a name too long for the file system
            problems.append(f"{where}: {p!r} is not a usable file path ({exc})")
            return str(p)
        return str(path)

    for key in ("baseline", "costs", "budget", "funding_rules", "boundaries"):
        if values["data"].get(key) is not None:
            values["data"][key] = _file(values["data"][key], f"data.{key}", folder_ok=key == "boundaries")
            if key not in ("baseline", "boundaries") and Path(values["data"][key]).is_file():
                msg = _csv_text_problem(Path(values["data"][key]))
                if msg:
                    problems.append(f"data.{key}: {values['data'][key]}: {msg}")

    if values["ranking"]["weights"] is not None:
        values["ranking"]["weights"] = _file(values["ranking"]["weights"], "ranking.weights")
    values["ranking"]["ahp"] = [_file(p, f"ranking.ahp[{i}]") for i, p in enumerate(values["ranking"]["ahp"])]
    if values["ranking"]["weights"] is not None and values["ranking"]["ahp"]:
        problems.append("ranking: give weights or ahp, not both")
    if problems:
        raise ScenarioError(problems)
    return Scenario(values=values, source=source, overrides=overrides)


def load_scenario(path: str | Path | dict | None = None, **overrides) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    path : path to a YAML file, a dict of overrides, or None for the default scenario
        Relative paths inside a file are resolved against the file's folder; inside a dict,
        against the current directory.
    **overrides : nested dicts merged after the file (e.g. ``solver={"time_limit_s": 5}``)

    Raises
    ------
    ScenarioError
        Listing every unknown key (with a close match), wrong type, out-of-bounds value and
        missing file.
    """
    if path is None:
        raw, base, src = {}, Path.cwd(), "<default>"
    elif isinstance(path, dict):
        raw, base, src = copy.deepcopy(path), Path.cwd(), "<dict>"
    else:
        p = Path(path)
        if not p.exists():
            raise ScenarioError([f"scenario file not found: {p}"])
        try:
            raw = load_yaml(p, "scenario file")
        except YamlError as e:
            raise ScenarioError([str(e)]) from None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ScenarioError([f"{p}: expected a mapping of overrides (key: value lines), got {type(raw).__name__}"])
        base, src = p.resolve().parent, str(p)
    if overrides:
        raw = _deep_merge(raw, overrides)
    return _resolve(raw, base, src)
