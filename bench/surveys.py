"""The surveys suite: the full SERVQUAL analysis at 1,000,000 responses, the same analysis read
from the database at a smaller scale, and the public answer page under 32 concurrent
respondents.

    .venv/bin/python bench/surveys.py [--responses 1000000] [--db-responses 20000]
        [--backends sqlite,postgres] [--clients 32] [--duration 15]

1. analysis from arrays (no database): a child process generates N respondents × 44 items
   (22 expectation + 22 perception statements on 7 points, ~2% of answers missing) plus the
   100-point allocation, the overall rating and a store per respondent, then times what the
   report computes with sqms.core.survey_stats: item E/P/gap means with t intervals, dimension
   scores per respondent and their means, unweighted and weighted SERVQUAL, SERVPERF,
   Cronbach's alpha (raw and standardised) of the E and P items of each dimension, key drivers
   (OLS on z-scores and Johnson's weights) of the overall rating on the perception dimensions,
   the IPA quadrants, and the 12 stores compared (ANOVA, Kruskal-Wallis, Welch t vs the rest
   with Holm). Peak memory is the child's maximum resident set size (ru_maxrss), which includes
   the interpreter, numpy/scipy/statsmodels and the input arrays; the increase over the RSS
   just before the analysis is printed too. The baseline, measured in another child process in
   the same run: a plain pandas groupby of the gaps by dimension on a long frame
   (respondent, dimension, gap) built beforehand (its building is not timed).
2. analysis from the database (per backend): N_db responses stored as the app stores them,
   then `sqms.surveys.analysis.campaign_results` timed end to end — query, JSON decoding,
   arrays, every figure of the report page.
3. answer page (per backend): `sqms serve --no-worker` with 2 gunicorn workers; C closed-loop
   clients each GET a store's SERVQUAL page (timed as "page") and POST the 44 answers plus the
   allocation with the page's stamp and CSRF token (the POST timed on its own as "submit").
   The rate limit and the minimum answering time are lifted for the run (one address, no
   humans).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.load import Target, percentile, run_load  # noqa: E402
from bench.run import HOST, PG_URL, Server, bench_env, free_port, postgres_reset, sqms  # noqa: E402

DIMS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
ITEM_DIMS = ["tangibles"] * 4 + ["reliability"] * 5 + ["responsiveness"] * 4
ITEM_DIMS += ["assurance"] * 4 + ["empathy"] * 5
STORES = 12


def log(msg: str) -> None:
    print(f"[surveys] {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    """The machine's 1-minute load average (2 cores shared with other work: read figures
    measured under a load above 2 as slowed down by it)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. From arrays -------------------------------------------------------------------------


def synthetic(n: int, seed: int) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    shortfall = np.array(
        [{"reliability": 1.6, "responsiveness": 0.9}.get(d, 0.4) for d in ITEM_DIMS]
    )
    e = np.clip(np.rint(rng.normal(6.0, 0.8, size=(n, 22))), 1, 7)
    p = np.clip(np.rint(e - shortfall + rng.normal(0, 0.9, size=(n, 22))), 1, 7)
    e[rng.random((n, 22)) < 0.02] = np.nan
    p[rng.random((n, 22)) < 0.02] = np.nan
    w = rng.dirichlet([2, 6, 4, 3, 3], size=n) * 100
    w = np.rint(w)
    w[:, 1] += 100 - w.sum(axis=1)
    overall = np.clip(np.rint(np.nanmean(p, axis=1) + rng.normal(0, 0.6, size=n)), 1, 7)
    units = rng.integers(0, STORES, size=n)
    return {"e": e, "p": p, "w": w, "overall": overall, "units": units}


def full_analysis(d: dict[str, Any]) -> dict[str, Any]:
    """Everything the SERVQUAL report computes, on arrays."""
    import numpy as np

    from sqms.core import survey_stats as ss

    e, p = d["e"], d["p"]
    result = ss.servqual(e, p, ITEM_DIMS, DIMS, importance=d["w"])
    alphas = {}
    for dim in DIMS:
        idx = [j for j, x in enumerate(ITEM_DIMS) if x == dim]
        alphas[dim] = (ss.cronbach_alpha(e[:, idx]), ss.cronbach_alpha(p[:, idx]))
    perf = result.respondent_perceptions
    drivers = ss.key_drivers(d["overall"], perf, DIMS)
    ipa = ss.ipa_quadrants(
        {x.code: x.weight for x in result.dimensions},
        {x.code: x.perception.value for x in result.dimensions},
        crosshair=ss.Crosshair.MEANS,
    )
    score = result.respondent_gaps.mean(axis=1)
    order = np.argsort(d["units"], kind="stable")
    bounds = np.searchsorted(d["units"][order], np.arange(STORES + 1))
    groups = {f"S{u:02d}": score[order[bounds[u] : bounds[u + 1]]] for u in range(STORES)}
    comparison = ss.compare_groups(groups)
    return {
        "n": result.n,
        "dimension_gaps": {x.code: round(x.gap.value, 4) for x in result.dimensions},
        "unweighted": round(result.unweighted.value, 4),
        "weighted": round(result.weighted.value, 4) if result.weighted else None,
        "alpha_p_reliability": round(alphas["reliability"][1].raw, 4),
        "r2": round(drivers.r_squared, 4),
        "quadrant_reliability": ipa.quadrants["reliability"].value,
        "anova_p": comparison.anova_p,
    }


def child_ours(n: int, seed: int) -> dict[str, Any]:
    import sqms.core.survey_stats  # noqa: F401  (imports are not part of the analysis)

    data = synthetic(n, seed)
    before = rss_mb()
    t0 = time.perf_counter()
    figures = full_analysis(data)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "peak_rss_mb": rss_mb(),
        "rss_before_mb": before,
        "figures": figures,
    }


def child_pandas(n: int, seed: int) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    import sqms.core.survey_stats  # noqa: F401  (the same imports as the other child)

    data = synthetic(n, seed)
    gap = (data["p"] - data["e"]).ravel()
    dims = pd.Categorical(np.tile(np.array(ITEM_DIMS), n), categories=DIMS)
    long = pd.DataFrame({"respondent": np.repeat(np.arange(n), 22), "dimension": dims, "gap": gap})
    del data
    before = rss_mb()
    t0 = time.perf_counter()
    means = long.groupby("dimension", observed=True)["gap"].mean()
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "peak_rss_mb": rss_mb(),
        "rss_before_mb": before,
        "means": {k: round(float(v), 4) for k, v in means.items()},
    }


def run_child(kind: str, n: int, seed: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--responses", str(n), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- 2 and 3. Database and server -----------------------------------------------------------

SETUP = textwrap.dedent(
    """
    import json, random, sys, time
    import django
    django.setup()
    from django.db import transaction
    from sqms.org import services as org
    from sqms.org.models import UnitKind
    from sqms.packs.loader import PACK_DIR
    from sqms.surveys import services, analysis
    from sqms.surveys.configuration import survey_config_apply
    from sqms.surveys.models import Response, Campaign, Instrument
    import yaml, datetime as dt
    n = int(sys.argv[1]); seed = int(sys.argv[2])
    rng = random.Random(seed)
    with transaction.atomic():
        hq = org.unit_create(actor=None, code="HQ", name="总部", kind=UnitKind.COMPANY, parent=None)
        stores = []
        for r in range(3):
            region = org.unit_create(
                actor=None, code=f"R{r}", name=f"区域{r}", kind=UnitKind.REGION, parent=hq)
            for s in range(4):
                stores.append(org.unit_create(
                    actor=None, code=f"S{r}{s}", name=f"门店{r}{s}", kind=UnitKind.STORE,
                    parent=region))
        admin = org.user_create(
            actor=None, username="bench-admin", password="bench-pass-2026", is_superuser=True)
        pack = (PACK_DIR / "retail-chain.yaml").read_text(encoding="utf-8")
        section = yaml.safe_load(pack)["surveys"]
        survey_config_apply(actor=None, data=section, pack="retail-chain")
        today = dt.date.today()
        campaign = services.campaign_create(actor=None, data=services.CampaignData(
            instrument=Instrument.objects.get(code="servqual-22"), name="bench", unit=hq,
            audience="customers", opens_on=today - dt.timedelta(days=30),
            closes_on=today + dt.timedelta(days=30)))
        services.campaign_open(actor=None, campaign=campaign)
    dims = %(item_dims)r
    short = {"reliability": 1.6, "responsiveness": 0.9}
    rows = []
    for i in range(n):
        a = {}
        for j, d in enumerate(dims, 1):
            e = max(1, min(7, round(rng.gauss(6, 0.8))))
            a[f"E{j:02d}"] = e
            a[f"P{j:02d}"] = max(1, min(7, round(e - short.get(d, 0.4) + rng.gauss(0, 0.9))))
        for d, w in zip(%(dims)r, (12, 32, 22, 18, 16)):
            a["W_" + d] = w
        a["overall"] = max(1, min(7, round(rng.gauss(5, 1))))
        rows.append(Response(campaign=campaign, unit=stores[i %% len(stores)], channel="qr",
                             submitted_on=today, answers=a))
        if len(rows) == 5000:
            Response.objects.bulk_create(rows); rows = []
    Response.objects.bulk_create(rows)
    campaign = Campaign.objects.select_related("instrument", "unit").get(pk=campaign.pk)
    t0 = time.perf_counter()
    res = analysis.campaign_results(admin, campaign)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = analysis.campaign_results(admin, campaign)
    warm = time.perf_counter() - t0
    print(json.dumps({"campaign": campaign.pk, "key": campaign.public_key,
                      "stores": [s.code for s in stores],
                      "n": res.n, "seconds_first": cold, "seconds": warm,
                      "unweighted": res.figures["servqual"]["unweighted"]["value"]}))
    """
)


def setup_database(
    backend: str, env: dict[str, str], var: Path, n: int, seed: int
) -> dict[str, Any]:
    logfile = var / "setup.log"
    if backend == "postgres":
        problem = postgres_reset(PG_URL)
        if problem:
            raise RuntimeError(f"PostgreSQL: {problem}")
    sqms(["migrate", "--noinput"], env, logfile)
    sqms(["createcachetable"], env, logfile)
    sqms(["collectstatic", "--noinput"], env, logfile)
    script = var / "setup.py"
    script.write_text(SETUP % {"item_dims": ITEM_DIMS, "dims": DIMS})
    proc = subprocess.run(
        [sys.executable, str(script), str(n), str(seed)],
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"setup failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


STAMP_RE = re.compile(rb'name="stamp" value="([^"]+)"')
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def answer_bodies(rng: random.Random) -> dict[str, str]:
    a: dict[str, str] = {}
    for j in range(1, 23):
        a[f"E{j:02d}"] = str(rng.randint(5, 7))
        a[f"P{j:02d}"] = str(rng.randint(3, 7))
    for d, w in zip(DIMS, (12, 32, 22, 18, 16), strict=True):
        a[f"W_{d}"] = str(w)
    a["overall"] = str(rng.randint(3, 7))
    return a


def respondent_target(
    key: str,
    stores: list[str],
    pages: list[float],
    submits: list[float],
    errors: list[str],
    think: tuple[float, float],
) -> Target:
    """One respondent: GET a store's page, read and answer it for `think` seconds, POST the
    answers with the page's stamp and CSRF token. The GET and the POST are timed separately;
    the thinking is not (it is the respondent, not the server)."""
    lock = threading.Lock()
    cookies: dict[int, str] = {}
    arrived: set[int] = set()

    def action(conn: http.client.HTTPConnection, index: int, seq: int, rng: random.Random):
        path = f"/s/o/{key}/{rng.choice(stores)}/"
        headers = {"Accept-Encoding": "identity"}
        if index in cookies:
            headers["Cookie"] = cookies[index]
        if index not in arrived:
            # Respondents arrive over the first seconds, not all in the same millisecond.
            arrived.add(index)
            time.sleep(rng.uniform(0, think[1]))
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        got = time.perf_counter() - t0
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            if name.strip() == "csrftoken":
                cookies[index] = "csrftoken=" + rest.split(";")[0]
        stamp, csrf = STAMP_RE.search(body), CSRF_RE.search(body)
        if resp.status != 200 or not stamp or not csrf or index not in cookies:
            return resp.status if resp.status != 200 else 599, body
        form = answer_bodies(rng) | {
            "stamp": stamp.group(1).decode(),
            "csrfmiddlewaretoken": csrf.group(1).decode(),
        }
        time.sleep(rng.uniform(*think))
        t0 = time.perf_counter()
        conn.request(
            "POST",
            path,
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookies[index],
                "Referer": f"http://{HOST}{path}",
                "Accept-Encoding": "identity",
            },
        )
        post = conn.getresponse()
        post_body = post.read()
        elapsed = time.perf_counter() - t0
        ok = post.status == 302 and "/s/done/" in post.headers.get("Location", "")
        with lock:
            pages.append(got)
            if ok:
                submits.append(elapsed)
            elif len(errors) < 3:
                errors.append(f"HTTP {post.status} {post_body[:200]!r}")
        return (200 if ok else post.status or 599), post_body

    return Target(name="respondent (GET, think, POST)", action=action)


def server_times(access_log: Path, offset: int) -> dict[str, float | None]:
    """p50/p95 of gunicorn's own request time (%(D)s, µs) for the answer page's GETs and POSTs
    logged after `offset`: the time inside the worker, without the client's queueing."""
    times: dict[str, list[float]] = {"GET": [], "POST": []}
    with access_log.open("rb") as fh:
        fh.seek(offset)
        for line in fh:
            parts = line.decode(errors="replace").split()
            if len(parts) >= 5 and parts[3].startswith("/s/o/") and parts[2] in times:
                times[parts[2]].append(int(parts[4]) / 1000)
    out: dict[str, float | None] = {}
    for method, values in times.items():
        values.sort()
        out[f"{method.lower()}_p50_ms"] = percentile(values, 50)
        out[f"{method.lower()}_p95_ms"] = percentile(values, 95)
        out[f"{method.lower()}_n"] = len(values)
    return out


def serve_and_load(
    backend: str,
    env: dict[str, str],
    var: Path,
    info: dict[str, Any],
    clients: int,
    duration: float,
) -> dict[str, Any]:
    env = {
        **env,
        "SQMS_PUBLIC_MIN_SECONDS": "0",
        "SQMS_SURVEY_RATE": "100000000/h",
        "GUNICORN_CMD_ARGS": '--access-logformat "%(p)s %(s)s %(m)s %(U)s %(D)s"',
    }
    access_log = Path(env["SQMS_ACCESS_LOG"])
    port = free_port()
    server = Server(env, port, workers=2, threads=4, log_path=var / "server.log")
    pages: list[float] = []
    submits: list[float] = []
    errors: list[str] = []
    try:
        server.wait_ready()
        offset = access_log.stat().st_size if access_log.exists() else 0
        respondents = run_load(
            HOST,
            port,
            respondent_target(info["key"], info["stores"], pages, submits, errors, (1.0, 3.0)),
            clients=clients,
            duration_s=duration,
            max_requests=20000,
            warmup_per_client=0,
        )
        time.sleep(0.5)  # the last access-log lines
        inside = server_times(access_log, offset)
        saturated = run_load(
            HOST,
            port,
            Target(
                name="answer page (GET, no pause)",
                paths=[f"/s/o/{info['key']}/{s}/" for s in info["stores"]],
            ),
            clients=clients,
            duration_s=duration,
            max_requests=20000,
        )
    finally:
        server.stop()

    def ms(values: list[float], pct: float) -> float | None:
        values = sorted(values)
        v = percentile(values, pct)
        return None if v is None else round(v * 1000, 1)

    return {
        "respondents": respondents.as_dict(),
        "page_n": len(pages),
        "page_p50_ms": ms(pages, 50),
        "page_p95_ms": ms(pages, 95),
        "submit_n": len(submits),
        "submit_p50_ms": ms(submits, 50),
        "submit_p95_ms": ms(submits, 95),
        "submit_errors": errors,
        "server": inside,
        "saturated_get": saturated.as_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--db-responses", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-arrays", action="store_true")
    parser.add_argument("--child", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        fn = child_ours if args.child == "ours" else child_pandas
        print(json.dumps(fn(args.responses, args.seed), default=float))
        return 0
    report: dict[str, Any] = {"responses": args.responses}
    if not args.skip_arrays:
        log(f"analysis from arrays: {args.responses:,} responses × 44 items")
        load_before = loadavg()
        ours = run_child("ours", args.responses, args.seed)
        base = run_child("pandas", args.responses, args.seed)
        report["arrays"] = {
            "sqms": ours,
            "pandas_groupby": base,
            "ratio": ours["seconds"] / base["seconds"],
        }
        print(
            f"full SERVQUAL analysis, {args.responses:,} × 44 from arrays: "
            f"{ours['seconds']:.2f} s, peak RSS {ours['peak_rss_mb']:.0f} MB "
            f"({ours['peak_rss_mb'] - ours['rss_before_mb']:.0f} MB "
            f"above the {ours['rss_before_mb']:.0f} MB before the analysis); pandas groupby of the "
            f"dimension means {base['seconds']:.2f} s (peak {base['peak_rss_mb']:.0f} MB); "
            f"ratio {ours['seconds'] / base['seconds']:.1f}×"
        )
        print(f"  load average before: {load_before}, after: {loadavg()}")
        print(f"  figures: {ours['figures']}")
        print(f"  pandas:  {base['means']}")
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        var = Path(tempfile.mkdtemp(prefix=f"sqms-bench-surveys-{backend}-"))
        env = bench_env(backend, var)
        if backend == "postgres":
            env["DATABASE_URL"] = os.environ.get("SQMS_BENCH_PG_URL", PG_URL)
        log(f"{backend}: {args.db_responses:,} responses into the database")
        info = setup_database(backend, env, var, args.db_responses, args.seed)
        print(
            f"{backend}: campaign_results from the database, {info['n']:,} responses: "
            f"{info['seconds']:.2f} s ({info['seconds_first']:.2f} s first call)"
        )
        log(f"{backend}: answer page, {args.clients} respondents, gunicorn 2 workers × 4 threads")
        load_before = loadavg()
        served = serve_and_load(backend, env, var, info, args.clients, args.duration)
        served["load_average"] = [load_before, loadavg()]
        sv, sat = served["server"], served["saturated_get"]
        print(
            f"{backend}: {args.clients} respondents (1-3 s to answer): page GET p50 "
            f"{served['page_p50_ms']} ms p95 {served['page_p95_ms']} ms, submit POST p50 "
            f"{served['submit_p50_ms']} ms p95 {served['submit_p95_ms']} ms, "
            f"{served['submit_n']} answers, {served['respondents']['errors']} errors "
            f"{served['submit_errors'][:1]}; server time (gunicorn) GET p95 "
            f"{sv['get_p95_ms']} ms, POST p95 {sv['post_p95_ms']} ms "
            f"(load average {served['load_average'][0]} → {served['load_average'][1]})"
        )
        print(
            f"{backend}: answer page GET with {args.clients} clients and no pause (saturation): "
            f"p50 {sat['p50_ms']} ms p95 {sat['p95_ms']} ms, {sat['rps']} req/s, "
            f"{sat['errors']} errors"
        )
        report[backend] = {"database": info, "served": served}
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "surveys.json").write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
