"""The budget explorer as a web page: the explorer notebook served by Voila (``kotaku-decide app``).

Why Voila and not Panel: the explorer already exists as an ipywidgets notebook
(``notebooks/04_budget_explorer.ipynb`` over :class:`~kotaku_decide.hearing.explorer.BudgetExplorer`),
tested through papermill; Voila serves that same notebook as a page without code, so the notebook
and the app are one piece of code, and Voila only adds a small package on top of jupyter_server,
which JupyterLab already brings. Panel would mean a second user interface (Bokeh widgets) for the same
explorer.

What :func:`prepare_notebook` serves: the explorer notebook with the parameters injected (as papermill
does, and refused the same way when unknown) and its notebook-only notes left out. :func:`voila_argv`
binds the server to 127.0.0.1 unless told otherwise, opens no browser on a server, and reaches the
kernels over local IPC sockets where the platform has them (no TCP port, no "running over TCP without
encryption" warning). Each visitor gets a kernel that precomputes the sweep (``--sweep-points``) and then
answers the slider at once; Apply re-solves with a progress bar while the last answer stays on screen.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from ..data.embedded import notebook_dir

__all__ = ["EXPLORER_NOTEBOOK", "prepare_notebook", "voila_argv", "serve"]

EXPLORER_NOTEBOOK = notebook_dir() / "04_budget_explorer.ipynb"


def prepare_notebook(folder, scenario=None, *, lang: str = "en", sweep_points: int = 12) -> Path:
    """Write the explorer notebook with its parameters into ``folder``; return its path.

    The parameters cell stays; a cell after it sets the given values (papermill's way), so the
    notebook's own check refuses anything it does not know. Markdown cells (notes for notebook users)
    are left out of the page.
    """
    import nbformat
    from papermill.parameterize import parameterize_notebook

    if lang not in ("en", "id"):
        raise ValueError(f"lang must be 'en' or 'id', got {lang!r}")
    if int(sweep_points) < 0:
        raise ValueError(f"sweep_points must be >= 0, got {sweep_points!r}")
    params = {"scenario": None if scenario is None else str(Path(scenario).resolve()), "lang": lang,
              "sweep_points": int(sweep_points)}
    if params["scenario"] is not None and not Path(params["scenario"]).exists():
        raise FileNotFoundError(f"{scenario}: scenario file not found")
    nb = nbformat.read(str(EXPLORER_NOTEBOOK), as_version=4)
    for c in nb.cells:  # papermill reads every cell's tags
        c.metadata.setdefault("tags", [])
    nb.metadata.setdefault("papermill", {})
    nb = parameterize_notebook(copy.deepcopy(nb), params)
    nb.cells = [c for c in nb.cells if c.cell_type == "code"]
    nb.metadata["title"] = "kotaku-decide budget explorer"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "budget_explorer.ipynb"
    # we made this notebook: sign it (in a signature store of the folder, not the user's) so that Voila
    # trusts it; voila_argv points Voila at the same store
    from nbformat.sign import NotebookNotary

    NotebookNotary(data_dir=str(folder)).sign(nb)
    nbformat.write(nb, str(out))
    return out


def voila_argv(notebook, *, host: str = "127.0.0.1", port: int = 8866, open_browser: bool = False,
               verbose: bool = False) -> list[str]:
    """Command-line arguments for Voila serving ``notebook`` (see the module text)."""
    argv = [str(notebook), f"--port={int(port)}", f"--Voila.ip={host}", "--VoilaConfiguration.show_tracebacks=False",
            f"--NotebookNotary.data_dir={Path(notebook).parent}"]
    if not open_browser:
        argv.append("--no-browser")
    if os.name == "posix":
        argv.append("--KernelManager.transport=ipc")
    if not verbose:
        argv.append("--Voila.log_level=WARN")
    return argv


def serve(scenario=None, *, lang: str = "en", sweep_points: int = 12, host: str = "127.0.0.1", port: int = 8866,
          open_browser: bool = False, verbose: bool = False, workdir=None) -> int:
    """Serve the explorer until interrupted (Ctrl-C); returns Voila's exit status."""
    import tempfile

    from voila.app import Voila

    with tempfile.TemporaryDirectory(prefix="kotaku-app-") as tmp:
        nb = prepare_notebook(workdir or tmp, scenario, lang=lang, sweep_points=sweep_points)
        print(f"budget explorer: http://{host}:{port}/  (Ctrl-C to stop; each page opened precomputes "
              f"{sweep_points} budget points first)", flush=True)
        Voila.launch_instance(argv=voila_argv(nb, host=host, port=port, open_browser=open_browser, verbose=verbose))
    return 0
