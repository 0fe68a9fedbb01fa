"""Pages under load (issue 10): gunicorn with 2 workers on the benchmark database (PostgreSQL),
a load generator on loopback, ``BENCH_HTTP_SECONDS`` (default 30) per page.

Pages: a clerk's return page (市人社局, the campaign's last month), the office dashboard for
that month, and — when the subsidies app provides them — the worker's claim-status page and the
subsidy submission page (GET of the form; looked up by URL name, ``skipped`` while missing).
Baseline: ``/bench/minimal/`` (``benchmarks._http_urls``), the smallest Django view behind the
same middleware on the same server, requested with the same kind of signed-in session.

Each request carries a real session cookie (made with the test client's ``force_login``) and
``X-Forwarded-Proto: https``, as behind the nginx of ``deploy/nginx.conf``. The generator is
``wrk`` (``apt-get install wrk``) when installed — p95 and errors come from a small Lua
``done`` hook — else a threads-and-keep-alive generator in this module (less efficient: it
takes CPU from the server on a 2-core machine; the lines say which generator ran).

Prints for each page ``http_<page>_rps``, ``http_<page>_vs_minimal`` (requests/s ÷ the
baseline's), ``http_<page>_p95_ms`` and ``http_<page>_errors`` (goals: 0 errors, p95 < 500 ms).

    python -m benchmarks.http_load
"""

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("BENCH_HTTP_CONNECTIONS", "8"))
WORKERS = 2

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("P95_US %d\\n", latency:percentile(95)))
  io.write(string.format("ERRORS %d\\n", e.connect + e.read + e.write + e.status + e.timeout))
  io.write(string.format("REQUESTS %d\\n", summary.requests))
end
"""


@dataclass
class Result:
    rps: float
    p95_ms: float
    errors: int
    requests: int


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wrk(url: str, headers: dict[str, str], seconds: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s"]
        command += ["-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p95 = int(re.search(r"P95_US (\d+)", output).group(1)) / 1000
    errors = int(re.search(r"ERRORS (\d+)", output).group(1))
    requests = int(re.search(r"REQUESTS (\d+)", output).group(1))
    return Result(rps, p95, errors, requests)


def _threads(url: str, headers: dict[str, str], seconds: int) -> Result:
    """A plain generator: ``CONNECTIONS`` threads, each on one keep-alive connection."""
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run() -> None:
        mine: list[float] = []
        failed = 0
        connection = http.client.HTTPConnection(host, port, timeout=5)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=5)
                continue
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=run) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else float("nan")
    return Result(len(latencies) / elapsed, p95, errors[0], len(latencies))


def _load(url: str, headers: dict[str, str], seconds: int) -> Result:
    return (_wrk if shutil.which("wrk") else _threads)(url, headers, seconds)


def _session_cookie(username: str) -> str:
    from django.conf import settings
    from django.test import Client

    from core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _pages(city: dict) -> list[tuple[str, str, str | None]]:
    """(page, username, path or None when the page does not exist yet)."""
    from django.urls import NoReverseMatch, reverse

    campaign = city["campaign"]
    month = campaign.reporting_months()[-1]

    def maybe(name: str, **kwargs) -> str | None:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            return None

    from training.models import Enrollment

    worker_enrollment = (
        Enrollment.objects.filter(worker__user__username="worker", result="passed")
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return [
        ("minimal", "clerk_rsj", "/bench/minimal/"),
        (
            "return_page",
            "clerk_rsj",
            reverse("training:return_detail", kwargs={"department": "rsj", "month": month}),
        ),
        ("dashboard", "office", reverse("dashboard:progress") + f"?month={month:%Y-%m}"),
        ("claim_status", "worker", maybe("subsidies:worker_claims")),
        # The submission page as the worker opens it (GET): a POST per request would file the
        # same claim again and again, which the service rightly refuses.
        (
            "subsidy_submission",
            "worker",
            maybe("subsidies:apply_training", pk=worker_enrollment) if worker_enrollment else None,
        ),
    ]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    """Until both workers answer the minimal page (on a loaded machine a worker takes seconds to
    import Django; requests queued behind that would be measured as latency)."""
    deadline = time.monotonic() + timeout
    match = re.match(r"http://([^:/]+):(\d+)", url)
    answered = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            connection = http.client.HTTPConnection(match.group(1), int(match.group(2)), timeout=5)
            connection.request(
                "GET",
                "/bench/minimal/",
                headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"},
            )
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                answered += 1
                if answered >= 2 * WORKERS:
                    return
                continue
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /bench/minimal/")


def main() -> None:
    import benchmarks

    with benchmarks.database():
        city = benchmarks.city_data()
        pages = _pages(city)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = benchmarks.database_env()
        env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        # DEBUG off serves hashed static names from the manifest (as `make static` builds it).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, check=True
        )
        gunicorn = shutil.which("gunicorn") or os.path.join(
            os.path.dirname(sys.executable), "gunicorn"
        )
        with tempfile.TemporaryFile("w+") as log:
            server = subprocess.Popen(
                [
                    gunicorn,
                    "benchmarks._http_wsgi:application",
                    "--workers",
                    str(WORKERS),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=log,
                stderr=log,
            )
            try:
                _wait_for(base, server)
                print(f"http_generator: {'wrk' if shutil.which('wrk') else 'python-threads'}")
                print(f"http_seconds_per_page: {SECONDS}")
                print(f"http_connections: {CONNECTIONS}")
                baseline = None
                for name, username, path in pages:
                    if path is None:
                        print(f"http_{name}: skipped (page not built yet)")
                        continue
                    headers = {
                        "Cookie": _session_cookie(username),
                        "X-Forwarded-Proto": "https",
                        "Host": "127.0.0.1",
                    }
                    # Warm the worker processes (imports, templates) before measuring.
                    _load(base + path, headers, 2)
                    result = _load(base + path, headers, SECONDS)
                    if name == "minimal":
                        baseline = result
                    print(f"http_{name}_rps: {result.rps:.1f}")
                    if baseline is not None and baseline.rps and name != "minimal":
                        print(f"http_{name}_vs_minimal: {result.rps / baseline.rps:.3f}")
                    print(f"http_{name}_p95_ms: {result.p95_ms:.1f}")
                    print(f"http_{name}_errors: {result.errors}")
            finally:
                server.terminate()
                server.wait(timeout=30)
                log.seek(0)
                tail = log.read()[-1500:]
                if tail.strip():
                    print(f"# gunicorn log tail: {tail!r}")


if __name__ == "__main__":
    main()
