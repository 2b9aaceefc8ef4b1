"""The hearing layer: everything a planner reads - scenario runs, reports, figures, batches and the explorer.

- :mod:`.run` runs one scenario end to end (score, rank, allocate, explain) and writes its report folder;
- :mod:`.batch` runs a scenario set through the scenario notebook (papermill) in parallel;
- :mod:`.tables` and :mod:`.figures` make the report tables and figures in English or Indonesian;
- :mod:`.explorer` is the budget explorer (ipywidgets);
- :mod:`.demo` is the main job on the embedded Balikpapan data (``kotaku-decide demo``).
"""
