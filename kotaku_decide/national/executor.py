"""City solves run through an executor: a Dask cluster by default, a process pool without Dask.

:class:`CityRunner` maps a function over cities. By default it starts a Dask ``LocalCluster``
(``n_workers`` processes, one thread each: model building holds the GIL, and HiGHS runs with one
thread per solve); ``scheduler="tcp://HOST:PORT"`` uses a running Dask cluster instead (its
workers need this package installed); ``client=`` takes a ``distributed.Client`` the caller made.
Without ``distributed`` installed it falls back on :class:`concurrent.futures.ProcessPoolExecutor`;
``kind="serial"`` runs in this process (debugging). A task that fails is retried once; a city that
fails twice is reported in :attr:`CityRunner.failures` and its result is ``None``. With ``state_dir``
every finished result is kept in a file named by the task's tag, so a run that stops can be started
again and reuses what was done (resumable from its per-city results). A progress bar (tqdm, on
stderr) counts the cities of each stage.

Traps (docs/national.md): ``processes=True`` starts workers with *spawn*, so a script that uses it
needs ``if __name__ == "__main__":``; offline, a LocalCluster may warn that it cannot reach 8.8.8.8
(dask/distributed#8559), which is filtered here.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
import traceback
import warnings
from pathlib import Path

__all__ = ["CityRunner", "have_dask"]


def have_dask() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _quiet_dask() -> None:
    warnings.filterwarnings("ignore", message=".*8\\.8\\.8\\.8.*")
    warnings.filterwarnings("ignore", message=".*[Cc]ouldn't detect a suitable IP address.*")
    warnings.filterwarnings("ignore", message=".*Port 8787 is already in use.*")
    import logging

    for name in ("distributed", "distributed.utils", "distributed.worker", "distributed.scheduler",
                 "distributed.nanny", "distributed.core", "distributed.http.proxy"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _call(fn, args):
    """Run one task; exceptions come back as text with the traceback (never lost on a worker)."""
    try:
        return ("ok", fn(*args))
    except BaseException as e:  # noqa: BLE001 - reported and retried by the runner
        return ("error", f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}")


class CityRunner:
    """Map tasks over cities on a Dask cluster (default), a process pool, or in this process.

    Parameters
    ----------
    workers : number of local workers (processes) when this runner starts the cluster
    scheduler : address ``tcp://HOST:PORT`` of a running Dask scheduler (no local cluster then)
    client : an existing ``distributed.Client`` (used as is, not closed)
    kind : ``"dask"`` (default; falls back on ``"processes"`` when Dask is missing), ``"processes"``
        or ``"serial"``
    processes : local Dask workers as processes (True) or threads (False)
    state_dir : folder keeping every finished task's result (resume); None = keep nothing
    progress : show a progress bar per stage
    """

    def __init__(self, workers: int = 2, scheduler: str | None = None, client=None, kind: str = "dask",
                 processes: bool = True, state_dir=None, progress: bool = True):
        self.workers = max(int(workers), 1)
        self.progress = progress
        self.state_dir = Path(state_dir) if state_dir else None
        if self.state_dir:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        self.failures: dict = {}
        self.retried: list = []
        self.reused = 0
        self._client = client
        self._own = []
        self._pool = None
        if kind not in ("dask", "processes", "serial"):
            raise ValueError(f"kind must be dask, processes or serial, got {kind!r}")
        if (scheduler or client is not None) and kind != "dask":
            raise ValueError("a scheduler or client needs kind='dask'")
        if kind == "dask" and not have_dask():
            if scheduler or client is not None:
                raise RuntimeError("--scheduler needs dask.distributed: pip install distributed")
            kind = "processes"
        self.kind = kind
        if kind == "dask" and client is None:
            _quiet_dask()
            from distributed import Client, LocalCluster

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if scheduler:
                    self._client = Client(scheduler, timeout="30s")
                    self._own = [self._client]
                else:
                    # worker processes talk over TCP on 127.0.0.1; threads in this process in-process
                    where = {"host": "127.0.0.1"} if processes else {}
                    import dask

                    # non-daemonic worker processes, so that a city solve can run in a guarded child
                    # (:func:`.work._engine_plan`); Dask's own setting for workers that start processes
                    with dask.config.set({"distributed.worker.daemon": False}):
                        cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=processes,
                                               dashboard_address=None, **where)
                    self._client = Client(cluster)
                    self._own = [self._client, cluster]
        elif kind == "processes":
            import concurrent.futures as cf
            import multiprocessing as mp

            self._pool = cf.ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"))
        self.description = self._describe(scheduler)

    def _describe(self, scheduler) -> str:
        if self.kind == "dask":
            try:
                n = len(self._client.scheduler_info()["workers"])
            except Exception:  # noqa: BLE001
                n = "?"
            where = scheduler or getattr(self._client, "scheduler", None)
            addr = getattr(where, "address", where)
            return f"Dask ({n} worker(s) at {addr})"
        if self.kind == "processes":
            return f"process pool ({self.workers} processes; dask.distributed not installed)"
        return "serial (this process)"

    # ------------------------------------------------------------------------------------------
    def scatter(self, objects: dict) -> dict:
        """Send objects to the cluster once (Dask); elsewhere they travel with each task."""
        if self.kind != "dask" or not objects:
            return dict(objects)
        keys = list(objects)
        futs = self._client.scatter([objects[k] for k in keys], broadcast=False, hash=False)
        return dict(zip(keys, futs))

    def _path(self, tag: str) -> Path | None:
        if not self.state_dir:
            return None
        h = hashlib.sha1(tag.encode()).hexdigest()[:16]
        return self.state_dir / f"{h}.pkl"

    def _load(self, tag):
        p = self._path(tag)
        if p is not None and p.exists():
            try:
                with open(p, "rb") as fh:
                    saved_tag, value = pickle.load(fh)
                if saved_tag == tag:
                    return True, value
            except Exception:  # noqa: BLE001 - a damaged file is recomputed
                pass
        return False, None

    def _save(self, tag, value) -> None:
        p = self._path(tag)
        if p is None:
            return
        tmp = p.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump((tag, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)

    def map(self, fn, tasks: list, desc: str = "cities", resume: bool = True, on_result=None) -> dict:
        """Run ``fn(*args)`` for every ``(key, tag, args)`` in ``tasks``; return ``{key: result}``.

        ``tag`` names the task's content (stage, city, the numbers it was given): a result kept under
        the same tag is reused; with ``resume=False`` nothing is reused nor kept (a task that depends on
        state in the worker, such as the priced LPs warm from their last basis). A task that fails is
        retried once; then its key maps to ``None`` and :attr:`failures` holds the error.
        ``on_result(key, result)`` is called in this process as each result arrives (reused ones first),
        in the order they finish.
        """
        out = _Results(on_result)
        todo = []
        for key, tag, args in tasks:
            ok, val = self._load(tag) if resume else (False, None)
            if ok:
                out[key] = val
                self.reused += 1
            else:
                todo.append((key, tag, args))
        bar = _bar(len(tasks), desc, self.progress, initial=len(tasks) - len(todo))
        try:
            if self.kind == "serial":
                for key, tag, args in todo:
                    out[key] = self._finish(key, tag, desc, _call(fn, args), lambda: _call(fn, args), resume)
                    bar.update(1)
            elif self.kind == "processes":
                import concurrent.futures as cf

                futs = {self._pool.submit(_call, fn, args): (key, tag, args, 0) for key, tag, args in todo}
                while futs:
                    done, _ = cf.wait(list(futs), return_when=cf.FIRST_COMPLETED)
                    for fu in done:
                        key, tag, args, attempt = futs.pop(fu)
                        res = _result(fu)
                        if res[0] != "ok" and attempt == 0:
                            self.retried.append((desc, key))
                            futs[self._pool.submit(_call, fn, args)] = (key, tag, args, 1)
                            continue
                        out[key] = self._finish(key, tag, desc, res, None, resume)
                        bar.update(1)
            else:
                from distributed import as_completed

                futs = {}
                for key, tag, args in todo:
                    f = self._client.submit(_call, fn, args, pure=False)
                    futs[f] = (key, tag, args, 0)
                ac = as_completed(list(futs))
                for fu in ac:
                    key, tag, args, attempt = futs.pop(fu)
                    res = _result(fu)
                    if res[0] != "ok" and attempt == 0:
                        self.retried.append((desc, key))
                        nf = self._client.submit(_call, fn, args, pure=False)
                        futs[nf] = (key, tag, args, 1)
                        ac.add(nf)
                        continue
                    out[key] = self._finish(key, tag, desc, res, None, resume)
                    bar.update(1)
        finally:
            bar.close()
        return dict(out)

    def _finish(self, key, tag, desc, res, retry, keep=True):
        if res[0] != "ok" and retry is not None:  # serial: retry once here
            self.retried.append((desc, key))
            res = retry()
        if res[0] == "ok":
            if keep:
                self._save(tag, res[1])
            return res[1]
        self.failures[(desc, key)] = res[1]
        print(f"warning: {desc} {key} failed twice: {res[1].splitlines()[0]}", file=sys.stderr)
        return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        for obj in self._own:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    obj.close()
            except Exception:  # noqa: BLE001
                pass
        self._own = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Results(dict):
    """A dict that tells a callback of every value set (the results of :meth:`CityRunner.map`)."""

    def __init__(self, cb):
        super().__init__()
        self._cb = cb

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if self._cb is not None:
            self._cb(key, value)


def _result(fu):
    """A future's ``(status, value)``, with a lost worker or a pickling error as an error."""
    try:
        return fu.result()
    except BaseException as e:  # noqa: BLE001
        return ("error", f"{type(e).__name__}: {e}")


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _bar(total, desc, show, initial=0):
    if not show:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc, initial=initial, unit="city", file=sys.stderr, leave=False,
                mininterval=0.5, smoothing=0.1)


def elapsed(t0: float) -> float:
    return time.perf_counter() - t0
