"""The main job on the embedded Balikpapan data (``make demo``): the full hearing run.

1. Validates and scores the illustrative 2016 baseline under Permen 14/2018 and 02/2016 (scored
   tables in CSV and Excel, summaries in English and Indonesian) and checks the published 2020
   decree table for consistency.
2. Runs the hearing set ``data/scenarios/hearing_2016.yaml`` (baseline budget, a 20 % cut, CSR
   doubled, no slum by 2019 at least cost, equity across kecamatan, 02/2016 scoring) through the
   scenario notebook: one folder per scenario with an HTML report without code, an Excel workbook,
   figures, CSV results and run.json, then a comparison over all of them.
3. Writes the progress report (HTML and Excel, English and Indonesian) of the adopted 2017-2019 plan
   against the SYNTHETIC realised works of 2017-2018 (``data/progress/``) into ``OUT/progress_balikpapan``.

    kotaku-decide demo --out reports [--lang id] [--no-hearing]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._version import __version__
from ..data.embedded import HEARING_SET, data_dir
from ..data.labels import LANGUAGES
from ..data.validate import load_baseline
from ..data.writers import atomic_path, write_table, write_workbook
from ..score.consistency import consistency_report, decree_totals
from ..score.pipeline import score_file
from .tables import markdown_summary, provenance_lines, summary_by_kecamatan, summary_by_level

DATA = data_dir()
BASELINE = "balikpapan_2016_baseline.csv"
DECREE_2020 = "balikpapan_2020_decree.csv"


def run(out: Path, data: Path = DATA) -> list[Path]:
    """Run the demo; return the files written."""
    written: list[Path] = []
    base = out / "balikpapan_2016"
    for regulation in ("permen-14-2018", "permen-02-2016"):
        res = score_file(data / BASELINE, regulation=regulation)
        s, prof = res.scored, res.profile
        stem = base / f"scores_{regulation}"
        written.append(write_table(s, stem.with_suffix(".csv")))
        about = pd.DataFrame({"about": provenance_lines(s) + [f"profile: {prof.title}", f"kotaku-decide {__version__}"]})
        written.append(write_workbook(
            {"scores": s, "by_level": summary_by_level(s), "by_kecamatan": summary_by_kecamatan(s),
             "consistency": res.consistency, "validation": res.validation,
             "unconfirmed_defaults": prof.unconfirmed(), "about": about},
            stem.with_suffix(".xlsx"), index={"by_level": True, "by_kecamatan": True}))
        for lang in LANGUAGES:
            p = base / f"summary_{regulation}_{lang}.md"
            with atomic_path(p) as tmp:
                tmp.write_text(markdown_summary(s, prof, lang, consistency=consistency_report(s, prof, lang=lang)),
                               encoding="utf-8")
            written.append(p)
        print(f"\n== {regulation}: {len(s)} locations")
        print(provenance_lines(s)[0])
        print(summary_by_level(s).to_string())

    dec = load_baseline(data / DECREE_2020, published_only=True)
    cons = consistency_report(dec)
    written.append(write_table(cons, out / "balikpapan_2020_decree" / "consistency.csv"))
    print("\n== 2020 decree table (published scores)")
    print(decree_totals(dec).to_string(index=False))
    print(cons[["location_id", "name", "check", "message"]].to_string(index=False))
    written += run_progress(out, data)
    print("\nwrote:")
    for w in written:
        print(f"  {w}")
    return written


def run_hearing(out: Path, data: Path = DATA, lang: str | None = None, workers: int = 2) -> int:
    """Run the hearing set into ``out/hearing_2016``; return the number of failed scenarios."""
    from .batch import read_scenario_set, run_batch

    specs = read_scenario_set(data / HEARING_SET.relative_to(DATA))
    dest = out / "hearing_2016"
    print(f"\n== hearing set: {len(specs)} scenarios -> {dest}")
    res = run_batch(specs, dest, workers=workers, lang=lang)
    for n, st in res.status.items():
        print(f"  {n}: {st} ({res.seconds.get(n, 0):.1f} s)" + (f" - {res.errors[n].strip()}" if n in res.errors else ""))
    if res.comparison is not None:
        cols = [c for c in res.comparison.columns if c.startswith(("scenario", "status", "slum_ha_left_", "spent"))]
        print(res.comparison[cols].to_string(index=False))
    print(f"open {dest / 'comparison.html'} and {dest}/<scenario>/report.html")
    return len(res.failed)


PROGRESS_PLAN = "progress/balikpapan_plan_adopted.csv"
PROGRESS_REALISED = "progress/balikpapan_realised_synthetic.csv"
PROGRESS_SCENARIO = "scenarios/balikpapan.yaml"


def run_progress(out: Path, data: Path = DATA) -> list[Path]:
    """The progress report of the embedded adopted plan against its SYNTHETIC realised works."""
    from ..progress.api import load_progress_inputs, track_progress
    from ..progress.report import write_progress

    inp = load_progress_inputs(data / PROGRESS_PLAN, data / PROGRESS_REALISED, data / PROGRESS_SCENARIO)
    res = track_progress(inp.baseline, inp.profile, inp.plan, inp.realised, inp.years)
    dest = out / "progress_balikpapan"
    notes = inp.notes[inp.notes["severity"] != "info"].drop(columns=["file"])
    files = write_progress(res, dest, inp.profile, inp.sources, notes=notes if len(notes) else None)
    st = res.works["status"].value_counts().to_dict()
    print(f"\n== progress of the adopted plan as of {res.as_of} (SYNTHETIC realised works) -> {dest}")
    print(f"works: {st}; locations behind plan: {len(res.behind)}")
    return files
