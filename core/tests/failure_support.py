"""Helpers for the failure tests (``test_failure_*.py``): stop and start the real Redis, run a
real Celery worker in another process against the test database, wait for things.

The worker process sees the test's rows only because the failure tests are transactional
(``django_db(transaction=True)``: every write is committed). It runs with ``DEBUG`` on and
``APP_TODAY`` set so that the campaign clock stands inside the 2013–2014 campaign like the test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
# Exactly the command PITFALLS.md and CI use, so the restarted Redis is the one everyone expects.
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    str(REDIS_PORT),
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
WORKER_TODAY = "2014-07-02T10:00:00"


def require_services() -> None:
    """Skip unless PostgreSQL and a Redis broker are configured (CI has both)."""
    if connection.vendor != "postgresql":
        pytest.skip("failure tests need PostgreSQL (DATABASE_URL)")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("failure tests need Redis (CELERY_BROKER_URL)")


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def redis_up() -> bool:
    import redis

    try:
        return bool(
            redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=0.5).ping()
        )
    except redis.exceptions.RedisError:
        return False


@contextlib.contextmanager
def redis_stopped() -> Iterator[None]:
    """Redis is down inside the block and running again after it, whatever happens. Other
    people's tests share this Redis: keep the block short."""
    subprocess.run(  # noqa: S603 - fixed arguments
        ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "shutdown", "nosave"],  # noqa: S607
        capture_output=True,
        timeout=15,
        check=False,
    )
    try:
        wait_for(lambda: not redis_up(), timeout=10, what="Redis to stop")
        yield
    finally:
        if not redis_up():
            subprocess.run(REDIS_START, check=True, timeout=30)  # noqa: S603
        wait_for(redis_up, timeout=30, what="Redis to start again")


@contextlib.contextmanager
def worker_process(
    log_dir: Path, *, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """A real ``celery worker`` (solo pool) in its own process group, on the test database and
    the configured broker; stopped (SIGTERM, then SIGKILL) when the block ends."""
    database = connection.settings_dict
    url = f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
    url += f"{database['PORT'] or 5432}/{database['NAME']}"
    worker_env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_REPORTS_QUEUE": "",
        "DEBUG": "true",
        "APP_TODAY": WORKER_TODAY,
        "MEDIA_ROOT": str(log_dir / "media"),
        "CONN_MAX_AGE": "0",
        **(env or {}),
    }
    log = (log_dir / f"worker-{uuid.uuid4().hex[:8]}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "xuchang_skills",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"faults-{uuid.uuid4().hex[:8]}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=worker_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


def kill_hard(process: subprocess.Popen) -> None:
    """``kill -9`` the worker's whole process group, as the OOM killer or a power cut would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def worker_log(log_dir: Path) -> str:
    return "\n".join(path.read_text(errors="replace")[-3000:] for path in log_dir.glob("*.log"))


def forget_unacked() -> None:
    """Drop the killed worker's unacknowledged message from our broker database, so that it is
    not redelivered (after the visibility timeout) to a later run whose test database is gone."""
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")
