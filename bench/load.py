"""A small closed-loop HTTP load generator (standard library only) for the local bench server.

Each client is a thread with its own keep-alive `http.client` connection that sends one GET,
reads the whole body, and sends the next, so `clients` is the number of requests in flight. A
run stops at `max_requests` measured requests or after `duration` seconds, whichever comes
first; requests already sent when time is up are completed and counted.

Honesty rules:
- latency is measured per request, from just before the request is written to just after the
  last byte of the body is read (a reconnect the server forced is paid by the request that
  needed it);
- warm-up requests (per client, before all clients start together) are never counted;
- any answer that is not 2xx, and any connection error or timeout, is an error; redirects are
  errors too (a 302 to the login page must not pass for a fast page);
- only 127.0.0.1 / localhost is accepted as a target.

The client runs in the same Python process for all threads, so under the GIL it can saturate
at a few thousand small requests/s; on a 2-core machine it also competes with the server for
CPU. The figures are for comparing backends and versions on one machine, not capacity planning.

    python bench/load.py http://127.0.0.1:8000/healthz --clients 8 --duration 10
"""

from __future__ import annotations

import argparse
import http.client
import math
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from typing import Any

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TIMEOUT_S = 60.0
MAX_ERROR_SAMPLES = 5


# One measured transaction of a client: (connection, client index, request number of this
# client, the client's random stream) -> (status, body). It may send several requests (a form's
# GET then its POST); its status is the one that decides success.
Action = Callable[[http.client.HTTPConnection, int, int, random.Random], tuple[int, bytes]]


@dataclass(frozen=True)
class Target:
    """What to request. Each request picks one of `paths` at random (a seeded stream per client),
    and client i sends headers[i % len(headers)] (so each client can have its own session).

    With `action`, each measured request is instead one call of the action (e.g. a POST with a
    fresh body and Idempotency-Key); `paths` and `headers` are then not used."""

    name: str
    paths: Sequence[str] = ()
    headers: Sequence[Mapping[str, str]] = ({},)
    action: Action | None = None


@dataclass
class Result:
    """The measured phase of one run. Latencies in milliseconds, over the successful requests."""

    target: str
    clients: int
    requests: int
    errors: int
    elapsed_s: float
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None
    bytes_per_request: float
    reconnects: int
    client_cpu_s: float  # CPU this whole process (the load generator) used while measuring
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_local(host: str) -> None:
    """Refuse any host but the loopback: this tool is for the local bench server only."""
    if host not in LOCAL_HOSTS:
        raise ValueError(f"only 127.0.0.1/localhost may be targeted, not {host!r}")


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending sequence (None when empty): the smallest value
    with at least pct % of the values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def fetch(
    host: str, port: int, path: str, headers: Mapping[str, str] | None = None
) -> tuple[int, bytes]:
    """One GET on a fresh connection: (status, body). For checks, not for measuring."""
    check_local(host)
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
    try:
        conn.request("GET", path, headers=dict(headers or {}))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def login_session(host: str, port: int, username: str, password: str) -> str:
    """Log in through the login form as a browser does and return the Cookie header value that
    carries the session. Raises RuntimeError if the login does not succeed."""
    check_local(host)
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
    jar: SimpleCookie = SimpleCookie()

    def absorb(resp: http.client.HTTPResponse) -> None:
        for raw in resp.headers.get_all("Set-Cookie") or []:
            jar.load(raw)

    def cookie_header() -> str:
        return "; ".join(f"{k}={m.value}" for k, m in jar.items())

    try:
        conn.request("GET", "/accounts/login/")
        resp = conn.getresponse()
        resp.read()
        absorb(resp)
        if resp.status != 200 or "csrftoken" not in jar:
            raise RuntimeError(f"login page answered {resp.status} without a CSRF cookie")
        form = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": jar["csrftoken"].value,
            }
        )
        conn.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie_header(),
                # Django checks the Referer of unsafe requests against the host.
                "Referer": f"http://{host}:{port}/accounts/login/",
            },
        )
        resp = conn.getresponse()
        resp.read()
        absorb(resp)
        if resp.status != 302 or "sessionid" not in jar:
            raise RuntimeError(f"login of {username!r} failed: status {resp.status}")
        return f"sessionid={jar['sessionid'].value}"
    finally:
        conn.close()


@dataclass
class _ClientTally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    bytes: int = 0
    reconnects: int = 0
    samples: list[str] = field(default_factory=list)


class _Budget:
    """Hands out measured requests until the count or the deadline is reached (thread-safe)."""

    def __init__(self, max_requests: int, duration_s: float) -> None:
        self._left = max_requests
        self._duration = duration_s
        self._deadline = math.inf
        self._lock = threading.Lock()

    def start(self) -> None:
        self._deadline = time.perf_counter() + self._duration

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0 or time.perf_counter() >= self._deadline:
                return False
            self._left -= 1
            return True


def _one(
    conn: http.client.HTTPConnection,
    path: str,
    headers: dict[str, str],
    tally: _ClientTally,
    action: Callable[[http.client.HTTPConnection], tuple[int, bytes]] | None = None,
) -> tuple[bool, float]:
    """Send one GET (or run one action) and read the whole body; returns (ok, seconds). A
    failed connection is closed so that the next request opens a new one."""
    reconnect = conn.sock is None
    t0 = time.perf_counter()
    try:
        if action is not None:
            status, body = action(conn)
        else:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            status, body = resp.status, resp.read()
        elapsed = time.perf_counter() - t0
    except (OSError, http.client.HTTPException) as exc:
        elapsed = time.perf_counter() - t0
        conn.close()
        if len(tally.samples) < MAX_ERROR_SAMPLES:
            tally.samples.append(f"{path}: {type(exc).__name__}: {exc}")
        return False, elapsed
    if reconnect:
        tally.reconnects += 1
    tally.bytes += len(body)
    ok = 200 <= status < 300
    if not ok and len(tally.samples) < MAX_ERROR_SAMPLES:
        tally.samples.append(f"{path}: HTTP {status} {body[:120]!r}")
    return ok, elapsed


def run_load(
    host: str,
    port: int,
    target: Target,
    *,
    clients: int = 8,
    max_requests: int = 100_000,
    duration_s: float = 15.0,
    warmup_per_client: int = 5,
    seed: int = 1,
) -> Result:
    """Run `clients` closed-loop clients against `target` and return the measured figures.

    Each client first sends `warmup_per_client` uncounted requests on its own connection; then
    all start together and share the request/time budget. Guarantees: every counted request has
    exactly one latency sample or one error, `requests` never exceeds `max_requests`, and no
    request is started after `duration_s`."""
    check_local(host)
    if target.action is None and (not target.paths or not target.headers):
        raise ValueError("a target needs at least one path and one header set, or an action")
    budget = _Budget(max_requests, duration_s)
    gate = threading.Barrier(clients + 1, timeout=600)
    tallies = [_ClientTally() for _c in range(clients)]

    def client(index: int) -> None:
        rng = random.Random(f"{seed}:{target.name}:{index}")
        headers = {
            "Accept-Encoding": "identity",
            **target.headers[index % len(target.headers)],
        }
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        scratch = _ClientTally()
        sent = 0

        def pick() -> str:
            return target.name if target.action is not None else rng.choice(target.paths)

        def act() -> Callable[[http.client.HTTPConnection], tuple[int, bytes]] | None:
            nonlocal sent
            sent += 1
            if target.action is None:
                return None
            action, seq = target.action, sent
            return lambda c: action(c, index, seq, rng)

        try:
            try:
                for _w in range(warmup_per_client):
                    _one(conn, pick(), headers, scratch, act())
            except BaseException:
                gate.abort()  # release the others (and the caller) instead of hanging
                raise
            gate.wait()
            tally = tallies[index]
            while budget.take():
                ok, seconds = _one(conn, pick(), headers, tally, act())
                if ok:
                    tally.latencies.append(seconds)
                else:
                    tally.errors += 1
        finally:
            conn.close()

    threads = [
        threading.Thread(target=client, args=(i,), name=f"client-{i}", daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    try:
        gate.wait()  # every client has warmed up
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a client of {target.name} failed during warm-up") from None
    budget.start()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_started

    latencies = sorted(x for t in tallies for x in t.latencies)
    errors = sum(t.errors for t in tallies)
    done = len(latencies) + errors

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return Result(
        target=target.name,
        clients=clients,
        requests=done,
        errors=errors,
        elapsed_s=round(elapsed, 3),
        rps=round(done / elapsed, 1) if elapsed > 0 else 0.0,
        p50_ms=ms(percentile(latencies, 50)),
        p95_ms=ms(percentile(latencies, 95)),
        p99_ms=ms(percentile(latencies, 99)),
        max_ms=ms(latencies[-1] if latencies else None),
        mean_ms=ms(sum(latencies) / len(latencies) if latencies else None),
        bytes_per_request=round(sum(t.bytes for t in tallies) / done, 1) if done else 0.0,
        reconnects=sum(t.reconnects for t in tallies),
        client_cpu_s=round(client_cpu, 2),
        error_samples=[s for t in tallies for s in t.samples][:MAX_ERROR_SAMPLES],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load one local URL with concurrent clients.")
    parser.add_argument("url", help="http://127.0.0.1:PORT/path")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--requests", type=int, default=100_000, help="at most this many")
    parser.add_argument("--warmup", type=int, default=5, help="uncounted requests per client")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    args = parser.parse_args(argv)
    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "http" or not url.hostname:
        parser.error("give an http:// URL")
    try:
        check_local(url.hostname)
    except ValueError as exc:
        parser.error(str(exc))
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    path = url.path or "/"
    if url.query:
        path += "?" + url.query
    result = run_load(
        url.hostname,
        url.port or 80,
        Target(name=path, paths=[path], headers=[headers]),
        clients=args.clients,
        max_requests=args.requests,
        duration_s=args.duration,
        warmup_per_client=args.warmup,
    )
    for key, value in result.as_dict().items():
        print(f"{key:>18}: {value}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
