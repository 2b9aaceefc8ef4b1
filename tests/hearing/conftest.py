"""Scenario runs shared by the hearing tests (session-wide: each costs seconds to a minute).

* ``hearing_full``: the embedded city in English with every piece of evidence (explanations, cuts, the
  least cost to the goal, the value of optimisation): the one slow end-to-end run behind the report
  tests and the README's screenshots;
* ``hearing_set``: per language, a baseline and a 20 % cut without explanations, with their comparison
  page (the baseline of English is the full run above);
* ``browser``: headless Chromium through Playwright (one per test module).
"""

import pytest
from helpers import DATA, launch, playwright_or_fail

SCEN = DATA / "scenarios" / "balikpapan.yaml"
FAST = {"ranking": {"draws": 200}, "solver": {"time_limit_s": 30}}
QUICK = {"ranking": {"draws": 100}, "solver": {"time_limit_s": 30}, "report": {"explain": False, "goal": False}}


def _run(out, lang, name, over):
    from kotaku_decide.data.scenario import load_scenario
    from kotaku_decide.hearing.run import run_scenario

    return run_scenario(load_scenario(SCEN, **over), out / name, name=name, lang=lang)


@pytest.fixture(scope="session")
def hearing_full(tmp_path_factory):
    out = tmp_path_factory.mktemp("hearing_en")
    over = {**FAST, "report": {"explain_time_limit_s": 2.0, "goal_time_limit_s": 5.0}}
    return _run(out, "en", "baseline", over), out


@pytest.fixture(scope="session")
def hearing_set(hearing_full, tmp_path_factory):
    """{lang: folder} with ``baseline`` and ``cut20`` scenario folders and comparison.html."""
    from kotaku_decide.hearing.batch import baseline_name
    from kotaku_decide.hearing.comparison import write_comparison
    from kotaku_decide.hearing.page import write_report

    sets = {"en": hearing_full[1]}
    _run(sets["en"], "en", "cut20", {**QUICK, "funding": {"budget_factor": 0.8}})
    sets["id"] = tmp_path_factory.mktemp("hearing_id")
    _run(sets["id"], "id", "baseline", QUICK)
    _run(sets["id"], "id", "cut20", {**QUICK, "funding": {"budget_factor": 0.8}})
    for lang, out in sets.items():
        names = ["baseline", "cut20"]
        for n in names:  # as the batch does once every scenario has finished
            write_report(out / n, out / baseline_name(names))
        write_comparison(out, names, lang=lang)
    return sets


@pytest.fixture(scope="module")
def browser():
    sync_playwright = playwright_or_fail()
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
