"""What the scenario notebook shows, section by section (the notebook only calls :func:`section`)."""

from __future__ import annotations

import pandas as pd

from ..data.labels import label
from .run import HearingResult, _money_for_display, _profile, _source_names, _summary_sheet
from .tables import display_frame, format_number

__all__ = ["SECTIONS", "section"]


SECTIONS = ("title", "data", "summary", "progress", "money", "plan", "before_after", "ranking", "explanations",
            "consistency", "parameters")


def section(hr: HearingResult, key: str) -> list:
    """Displayable objects for one report section: a Markdown heading, then tables / figures / text.

    Keys: ``data`` (provenance), ``summary``, ``progress``, ``money``, ``plan``, ``before_after``,
    ``ranking``, ``explanations``, ``consistency``, ``parameters``.
    """
    from IPython.display import Image, Markdown

    if key not in SECTIONS:
        raise KeyError(f"unknown section {key!r}; expected one of {SECTIONS}")
    L = lambda k: label("hearing", k, hr.lang)  # noqa: E731
    if key == "title":
        desc = _esc(hr.key_figures.get("description") or "")
        return [Markdown(f"# {L('report_title')}: {_esc(hr.name)}" + (f"\n\n{desc}" if desc else ""))]
    out: list = [Markdown(f"## {L('sec_' + key)}")]
    fig = lambda k: Image(filename=str(hr.figures[k])) if k in hr.figures else None  # noqa: E731
    a = hr.allocation
    if key == "data":
        out += [Markdown("\n\n".join(f"> **{_esc(p)}**" if i == 0 else f"> {_esc(p)}"
                                       for i, p in enumerate(hr.provenance)))]
    elif key == "summary":
        out += [_summary_sheet(hr).set_index(L("item"))]
        if a.report.message:
            out.append(Markdown(f"*{_esc(a.report.message)}*"))
        if a.shortfall is not None:
            out.append(Markdown(f"**{_esc(str(a.shortfall))}**"))
    elif key == "progress":
        out += [fig("slum_hectares_by_year"), a.yearly]
    elif key == "money":
        out += [fig("money_by_source"), _money_for_display(hr)]
    elif key == "plan":
        out.append(fig("plan_map"))
        if len(a.plan):
            p = a.plan.groupby(["location_id", "name", "year", "source"], as_index=False)["cost_rp"].sum()
            p["cost_rp"] = p["cost_rp"].round(0)
            out.append(p)
        else:
            out.append(Markdown(L("no_plan")))
    elif key == "before_after":
        cols = [c for c in ("location_id", "name", "area_ha", "total_before", "level_before", "total_after",
                            "level_after", "contribution_of_handling", "cleared_year", "aspects_addressed",
                            "services_missed", "cost_rp") if c in a.before_after]
        ba = a.before_after[cols].copy()
        from ..progress.report import aspect_names

        names = aspect_names(_profile(hr), hr.lang)
        for c in ("aspects_addressed", "services_missed"):  # aspect codes (space-separated) by name
            if c in ba:
                ba[c] = ba[c].map(lambda v: ", ".join(names.get(x, x) for x in str(v).split()))
        out += [ba]
    elif key == "ranking":
        out += [Markdown(_esc("; ".join(hr.rank_notes))), fig("rank_intervals"), hr.ranks.head(20)]
    elif key == "explanations":
        out += [hr.explanations if hr.explanations is not None else Markdown(L("no_explanations"))]
    elif key == "consistency":
        from ..score.consistency import consistency_report

        # the findings in the report language (consistency.csv keeps those of the scoring step)
        cons = consistency_report(hr.scored, _profile(hr), lang=hr.lang) if len(hr.consistency) else hr.consistency
        out += [cons if len(cons) else Markdown(label("text", "no_problems", hr.lang)),
                fig("hectares_by_kecamatan"), fig("score_distribution"), fig("location_map")]
    elif key == "parameters":
        import yaml

        out += [Markdown(_code_block(yaml.safe_dump(hr.scenario.overrides or {}, sort_keys=False, allow_unicode=True),
                                     "yaml")), Markdown(f"{L('full_scenario')}: `run.json`")]
    names = _source_names(hr)
    return [_table(_localise(o, hr.lang, names), hr.lang) if isinstance(o, pd.DataFrame) else o
            for o in out if o is not None]


def _localise(df: pd.DataFrame, lang: str, source_names: dict | None = None) -> pd.DataFrame:
    """Headers and coded values from the label catalogue for display (the CSV files keep the data names
    and codes); see :func:`kotaku_decide.hearing.tables.display_frame`."""
    return display_frame(df, lang, source_names)


def _esc(text: str) -> str:
    """Text from scenario and data files shown as text, never as HTML or Markdown markup (no link, no
    ``javascript:`` URL, no heading): :func:`kotaku_decide.data.writers.escape_markdown`."""
    from ..data.writers import escape_markdown

    return escape_markdown(text)


def _code_block(text: str, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any run of backticks in ``text`` (CommonMark), so
    the text cannot close it and continue as Markdown."""
    import re

    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}{'' if text.endswith(chr(10)) else chr(10)}{fence}"


def _table(df: pd.DataFrame, lang: str = "en"):
    """A whole table as HTML (pandas' notebook display would cut a long plan to 60 rows)."""
    from IPython.display import HTML

    return HTML(df.to_html(max_rows=None, max_cols=None, na_rep="", escape=True,
                           float_format=lambda v: format_number(v, 2, lang)))
