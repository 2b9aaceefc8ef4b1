"""The decomposition by city on the mini-national case, against the monolithic model's proven optimum.

The mini case has 2 provinces x 6 cities (12 blocks, APBN and two APBD Provinsi envelopes over 3 years);
3 locations per city keep the monolithic proof to seconds (40 per city does not prove in minutes:
docs/national.md). City solves run on a Dask LocalCluster (threads) started here, as the issue asks;
one test uses worker processes (pickling), and one connects with --scheduler to a scheduler and a
worker started here as separate programs.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kotaku_decide.allocate import build_model, money_table, prepare, solve_model
from kotaku_decide.allocate.solve import SolverOptions
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.national.executor import CityRunner
from kotaku_decide.national.solve import NationalOptions, solve_national
from kotaku_decide.national.split import split_by_city
from kotaku_decide.national.synthetic import make_mini, make_national
from kotaku_decide.national.work import greedy_task, mip_task

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
        client = Client(lc)
    yield client
    client.close()
    lc.close()


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    d = tmp_path_factory.mktemp("mini")
    return prepare(load_scenario(make_mini(d, per_city=3)))


@pytest.fixture(scope="module")
def mini_optimum(mini):
    """The monolithic model's proven optimum of the mini case (hectare-years)."""
    rep = solve_model(build_model(mini), SolverOptions(method="monolithic", time_limit_s=120, mip_rel_gap=1e-6,
                                                       tie_break_time_s=0))
    assert rep.proven_optimal, rep.message
    return rep


@pytest.mark.slow
def test_mini_national_decomposed_within_its_gap_of_the_monolithic_optimum(mini, cluster, mini_optimum):
    inp = mini
    sp = split_by_city(inp)
    assert len(sp.cities) == 12 and sorted(set(sp.province.values())) == ["P01", "P02"]
    assert sp.env_label == ["national", "province:P01", "province:P02"]
    res = solve_national(inp, NationalOptions(progress=False, city_time_limit_s=20, mip_bound_time_s=5,
                                              greedy_mips=True), client=cluster)
    assert res.executor.startswith("Dask (2 worker(s)")
    # the plan keeps every rule, every budget per scope included (the independent checker) ...
    assert res.checks == []
    mt = money_table(inp, res.plan.drop(columns=["city", "province"]))
    assert "scope" in mt and (mt["used_rp"] <= mt["available_rp"] + 1.0).all()
    assert set(mt["scope"]) >= {"national", "province:P01", "province:P02", "city:C001"}
    # ... and is within its own reported gap of the monolithic model's proven optimum
    rep = mini_optimum
    opt = rep.objective
    tol = 1e-6 * opt + 1e-6
    assert res.value <= opt + tol  # a feasible plan cannot beat the optimum
    assert res.bound >= opt - max(tol, 1e-6 * rep.best_bound)  # a valid bound cannot be below it
    assert res.gap == pytest.approx((res.bound - res.value) / res.value)
    assert opt <= res.value * (1 + res.gap) + tol
    assert res.bound_mip is None or res.bound_mip >= opt - tol
    assert res.bound_lp >= opt - tol
    assert res.value >= res.greedy_value - 1e-6
    # the city engine at the greedy shares (step 1) ends with a plan at least as good as greedy
    first = [e for e in res.timeline if e["stage"] == "city MIPs at the greedy shares"]
    assert len(first) == 1 and first[0]["value"] >= res.greedy_value - 1e-6
    # while the city engine runs, greedy's plan with the cities improved so far is reported as they finish:
    # values between greedy and the stage's end, never falling
    streamed = [e["value"] for e in res.timeline if e["stage"].startswith("city engine at the greedy shares")]
    assert all(res.greedy_value < v <= first[0]["value"] + 1e-6 for v in streamed)
    assert streamed == sorted(streamed)
    assert (len(streamed) > 0) == (first[0]["value"] > res.greedy_value + 1e-6)
    # every mark's bound is valid (each price round's LP-Lagrangian bound included), and the marks come in
    # time order
    assert all(e["bound"] is None or e["bound"] >= opt - tol for e in res.timeline)
    assert all(e["value"] <= opt + tol for e in res.timeline)  # every plan reported is a plan: never above
    rounds = [e for e in res.timeline if e["stage"].startswith("price round")]
    assert rounds and all(e["bound"] is not None for e in rounds)
    assert [e["time_s"] for e in res.timeline] == sorted(e["time_s"] for e in res.timeline)
    # restricted masters: during the price rounds (integer columns near the LPs), after them, after the city
    # MIPs and the last one; each starts from the best plan so far, so the plan never falls
    masters = [e for e in res.timeline if e["stage"].startswith("restricted master MIP")]
    stages = [e["stage"] for e in masters]
    assert stages[-3:] == ["restricted master MIP (price-round columns)", "restricted master MIP (city MIPs)",
                           "restricted master MIP"]
    assert all(s.startswith("restricted master MIP (after price round ") for s in stages[:-3])
    values = [e["value"] for e in masters]
    assert values[0] >= res.greedy_value - 1e-6 and values == sorted(values)
    # the plan rows carry city and province; every city's money is its own or its envelopes'
    assert {"city", "province"} <= set(res.plan.columns)
    assert (res.plan["city"] == res.plan["location_id"].str[:4]).all()
    # prices: one row per envelope and year, never negative
    assert len(res.prices) == 9 and (res.prices["ha_years_per_bn_rp"] >= 0).all()


@pytest.mark.slow
def test_without_integer_columns_from_the_price_rounds_the_older_stages_give_the_plan(mini, mini_optimum):
    res = solve_national(mini, NationalOptions(kind="serial", progress=False, rins_time_s=0.0, city_time_limit_s=20,
                                               mip_bound_time_s=5))
    assert res.checks == []
    opt = mini_optimum.objective
    tol = 1e-6 * opt + 1e-6
    assert res.greedy_value - 1e-6 <= res.value <= opt + tol
    assert res.bound >= opt - tol
    stages = [e["stage"] for e in res.timeline]
    assert [s for s in stages if s.startswith("restricted master MIP")] == ["restricted master MIP (city MIPs)",
                                                                             "restricted master MIP"]
    assert not any(s.startswith(("integer price round", "cities mixing", "top-up (quick)")) for s in stages)
    assert all(s.endswith("integer 0)") for s in stages if s.startswith("price round"))
    assert not res.cities["plan_from"].str.startswith("integer near the LP").any()


@pytest.mark.slow
def test_without_city_mips_the_priced_columns_still_give_a_valid_plan_and_bound(mini, mini_optimum):
    res = solve_national(mini, NationalOptions(kind="serial", progress=False, city_mips=False, city_time_limit_s=20,
                                               mip_bound_time_s=5, top_up=False, split_time_s=0.3))
    assert res.checks == []
    opt = mini_optimum.objective
    tol = 1e-6 * opt + 1e-6
    assert res.greedy_value - 1e-6 <= res.value <= opt + tol
    assert res.bound >= opt - tol
    # every bound reported on the way is valid (the LP-Lagrangian ones, the partial MIP-Lagrangian ones)
    assert all(e["bound"] is None or e["bound"] >= opt - tol for e in res.timeline)
    masters = [e["stage"] for e in res.timeline if e["stage"].startswith("restricted master MIP")]
    assert masters[-2:] == ["restricted master MIP (price-round columns)", "restricted master MIP"]
    # the stages after the price rounds, in order, each reporting a plan that never falls
    stages = [e["stage"] for e in res.timeline]
    i_mix = next(i for i, s in enumerate(stages) if s.startswith("cities mixing columns in the integer master LP"))
    i_priced = next(i for i, s in enumerate(stages) if s.startswith("priced city MIPs at the best prices for"))
    i_quick = stages.index("top-up (quick) of the money left unused")
    i_near = next(i for i, s in enumerate(stages) if s.startswith("nearby prices for the "))
    i_int = max(i for i, s in enumerate(stages) if s.startswith("integer price round"))
    i_cross = next(i for i, s in enumerate(stages) if s.startswith("crossover for the "))
    assert i_int < i_near < i_mix < i_priced < i_cross < stages.index("restricted master MIP (price-round columns)") \
        < i_quick
    assert res.timeline[i_priced]["bound"] <= res.timeline[i_priced - 1]["bound"] + 1e-9
    after = [e["value"] for e in res.timeline[i_mix:]]
    assert after[:-1] == sorted(after[:-1])  # (the last mark is the re-scored final plan)
    assert res.timeline[-1]["value"] >= after[-2] - 1e-6
    # no plan from the city MIPs at the LP's split ("city MIP"; those at the greedy shares are another stage)
    assert not res.cities["plan_from"].str.match(r"city MIP($| \+)").any()


@pytest.mark.slow
def test_priced_mips_for_the_cities_with_most_gap_left_come_after_the_quick_top_up_and_keep_the_bound_valid(
        mini, mini_optimum):
    # one city gets a quick priced MIP, so the others keep a gap between their priced LP and their best column;
    # the longer priced MIPs run as long as step 6's, so step 6 keeps their results
    res = solve_national(mini, NationalOptions(kind="serial", progress=False, city_mips=False, city_time_limit_s=20,
                                               mip_bound_time_s=5, top_up=False, quick_priced_cities=1,
                                               residual_priced_time_s=5, residual_priced_cities=4))
    assert res.checks == []
    opt = mini_optimum.objective
    tol = 1e-6 * opt + 1e-6
    assert res.greedy_value - 1e-6 <= res.value <= opt + tol
    assert all(e["bound"] is None or e["bound"] >= opt - tol for e in res.timeline)
    assert res.bound >= opt - tol and res.bound_mip >= opt - tol
    stages = [e["stage"] for e in res.timeline]
    i_quick = stages.index("top-up (quick) of the money left unused")
    assert re.match(r"priced city MIPs at the best prices for [1-4] cities, largest gap left", stages[i_quick + 1])
    assert res.timeline[i_quick + 1]["bound"] <= res.timeline[i_quick]["bound"] + 1e-9
    assert res.timeline[i_quick + 1]["value"] == res.timeline[i_quick]["value"]
    assert "residual_priced_s" in res.times


@pytest.mark.slow
def test_city_tasks_pickle_to_worker_processes(tmp_path):
    inp = prepare(load_scenario(make_national(tmp_path, n_provinces=2, n_cities=4, total=24, seed=5, sizes=[6] * 4,
                                              even=True)))
    sp = split_by_city(inp)
    with CityRunner(workers=2, processes=True, progress=False) as runner:
        assert runner.kind == "dask" and "2 worker(s)" in runner.description
        env = {c: [sp.env_source[e] for e in sp.city_envs[c]] for c in sp.cities}
        out = runner.map(greedy_task, [(c, f"g|{c}", (sp.city_input(c), env[c])) for c in sp.cities])
        # the city engine in a worker process runs in a guarded child of it (non-daemonic Dask workers)
        mips = runner.map(mip_task, [(c, f"m|{c}", (sp.city_input(c), env[c], 10.0, 1e-6)) for c in sp.cities])
        assert not runner.failures
        daemonic = runner.map(lambda: __import__("multiprocessing").current_process().daemon,
                              [(c, f"d|{c}", ()) for c in sp.cities])
        assert not any(daemonic.values())  # so the engine's guarded child could start there
    for c in sp.cities:
        here = mip_task(sp.city_input(c), env[c], 10.0, 1e-6)
        assert here["status"] == "optimal" and mips[c]["status"] == "optimal"
        assert mips[c]["value"] == pytest.approx(here["value"], abs=1e-6)
    for c in sp.cities:  # the same greedy plan as in this process
        here = greedy_task(sp.city_input(c), env[c])
        assert out[c]["value"] == pytest.approx(here["value"])
        pd.testing.assert_frame_equal(out[c]["plan"].reset_index(drop=True), here["plan"].reset_index(drop=True))


_CALLS = {"n": 0}


def _flaky(x, marker):
    """Fails the first time it is called for a marker file (the retry then succeeds)."""
    if not os.path.exists(marker):
        Path(marker).write_text("failed once")
        raise RuntimeError("simulated worker failure")
    return x * 2


def _always_fails(x):
    raise ValueError(f"city {x} cannot be solved")


def test_failed_city_is_retried_once_then_reported_and_results_resume(tmp_path):
    state = tmp_path / "state"
    r = CityRunner(kind="serial", state_dir=state, progress=False)
    seen = []
    out = r.map(_flaky, [(k, f"t|{k}", (k, str(tmp_path / f"m{k}"))) for k in range(3)], desc="flaky",
                on_result=lambda k, v: seen.append((k, v)))
    assert out == {0: 0, 1: 2, 2: 4} and len(r.retried) == 3 and not r.failures
    assert sorted(seen) == [(0, 0), (1, 2), (2, 4)]  # each result told once, after its retry
    seen.clear()
    bad = r.map(_always_fails, [("C9", "bad|C9", ("C9",))], desc="stage", on_result=lambda k, v: seen.append((k, v)))
    assert bad == {"C9": None} and "cannot be solved" in r.failures[("stage", "C9")]
    assert seen == [("C9", None)]  # a failed city is told too (as None)
    # a new run with the same state folder reuses every finished result (the function is not called)
    r2 = CityRunner(kind="serial", state_dir=state, progress=False)
    seen.clear()
    again = r2.map(_always_fails, [(k, f"t|{k}", (k,)) for k in range(3)], desc="flaky",
                   on_result=lambda k, v: seen.append((k, v)))
    assert again == {0: 0, 1: 2, 2: 4} and r2.reused == 3 and not r2.failures
    assert sorted(seen) == [(0, 0), (1, 2), (2, 4)]
    # a stage run without resuming (state in the worker) neither reuses nor keeps results
    files = sorted(state.iterdir())
    fresh = r2.map(_flaky, [(k, f"u|{k}", (k, str(tmp_path / f"m{k}"))) for k in range(3)], desc="no resume",
                   resume=False)
    assert fresh == {0: 0, 1: 2, 2: 4} and sorted(state.iterdir()) == files
    assert r2.map(_flaky, [(0, "t|0", (5, str(tmp_path / "m0")))], resume=False) == {0: 10}  # computed, not reused


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_cli_connects_to_a_running_scheduler(tmp_path):
    over = make_national(tmp_path / "data", n_provinces=2, n_cities=4, total=24, seed=5, sizes=[6] * 4, even=True)
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(over))
    port = _free_port()
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    sched = subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                              "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    worker = None
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        worker = subprocess.Popen([str(bindir / "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
                                   "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        out = tmp_path / "out"
        p = subprocess.run([str(bindir / "kotaku-decide"), "allocate", str(tmp_path / "sc.yaml"), "--out", str(out),
                            "--scheduler", f"tcp://127.0.0.1:{port}", "--quiet"], capture_output=True, text=True,
                           timeout=600, env=env)
        assert p.returncode == 0, p.stderr[-3000:]
        assert f"Dask (1 worker(s) at tcp://127.0.0.1:{port})" in p.stdout
        rep = pd.read_csv(out / "solve_report.csv").iloc[0]
        assert rep["checker_violations"] == 0 and rep["gap"] >= 0 and rep["objective_ha_years"] > 0
        assert np.isclose(rep["objective_ha_years"], pd.read_csv(out / "cities.csv")["plan_ha_years"].sum(),
                          rtol=1e-6) or rep["objective_ha_years"] >= pd.read_csv(out / "cities.csv")[
                              "plan_ha_years"].sum()
        for f in ("plan.csv", "money_by_city.csv", "money_by_province.csv", "prices.csv", "summary_en.html",
                  "summary_id.html", "national.xlsx", "greedy_plan.csv"):
            assert (out / f).exists(), f
        plan = pd.read_csv(out / "plan.csv")
        assert {"city", "province"} <= set(plan.columns)
        html_id = (out / "summary_id.html").read_text(encoding="utf-8")
        assert "SINTETIS" in html_id and "Rencana nasional" in html_id
    finally:
        for proc in (worker, sched):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
