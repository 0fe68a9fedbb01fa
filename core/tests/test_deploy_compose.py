"""``docker-compose.yml`` and ``deploy/`` checked without a Docker daemon (CI has none): the file
parses, names the parts the README promises, and every name in it points at something that
exists — the WSGI module gunicorn serves, the Celery app and queues the workers consume, the
settings the environment sets, the web port nginx proxies to, the files the image copies, and the
image's collectstatic step under the build's environment. What this cannot prove: that the images
build and the containers start; that needs Docker (``docker compose up -d``, README)."""

import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = {"web", "worker", "worker-reports", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _command(service: dict) -> list[str]:
    command = service["command"]
    return command if isinstance(command, list) else shlex.split(command)


def _option(argv: list[str], *names: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg in names and index + 1 < len(argv):
            return argv[index + 1]
    return None


def test_the_parts_the_readme_promises(compose):
    assert set(compose["services"]) == APP_SERVICES | {"postgres", "redis", "nginx"}
    for name in APP_SERVICES:
        service = compose["services"][name]
        # The YAML anchor merged: every app part runs the one image, after healthy services.
        assert service["image"] == "xuchang-skills:latest", name
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }, name
    for name in ("postgres", "redis"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_gunicorn_serves_the_projects_wsgi_module(compose):
    argv = _command(compose["services"]["web"])
    assert argv[0] == "gunicorn"
    module = importlib.import_module(argv[1].split(":")[0])
    assert callable(module.application)
    workers = _option(argv, "--workers")
    assert workers is not None
    assert re.fullmatch(r"\$\{WEB_WORKERS:-\d+\}|\d+", workers)


def test_workers_consume_the_queues_the_settings_route_to(compose):
    from xuchang_skills.celery import app

    queues = {}
    for name in ("worker", "worker-reports", "beat"):
        argv = _command(compose["services"][name])
        assert argv[:3] == ["celery", "-A", "xuchang_skills"], name
        # `celery -A xuchang_skills` finds the app as the package's ``celery_app``.
        assert importlib.import_module(argv[2]).celery_app is app, name
        queues[name] = _option(argv, "-Q")
    assert queues["worker"] == app.conf.task_default_queue == "celery"
    reports = compose["x-app"]["environment"]["CELERY_REPORTS_QUEUE"]
    assert queues["worker-reports"] == reports
    # The tasks the settings route to the reports queue when it is set (see settings).
    source = (ROOT / "xuchang_skills" / "settings.py").read_text(encoding="utf-8")
    for task in ("compute_monthly_progress", "run_institution_assessment", "run_export_job"):
        assert task in source


def test_every_variable_compose_sets_is_one_the_settings_read(compose):
    source = (ROOT / "xuchang_skills" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z0-9_]+)["']""", source))
    assert "DATABASE_URL" in read  # the pattern finds what it should
    unknown = sorted(set(compose["x-app"]["environment"]) - read)
    assert not unknown, f"docker-compose.yml sets variables settings.py never reads: {unknown}"
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert "SECRET_KEY=" in example
    assert "FIELD_ENCRYPTION_KEY=" in example


def test_nginx_proxies_to_the_web_service_port(compose):
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream\s+(\w+)\s*\{\s*server\s+([\w.-]+):(\d+);", conf)
    assert upstream is not None
    name, host, port = upstream.groups()
    assert host == "web"
    bind = _option(_command(compose["services"]["web"]), "--bind")
    assert bind == f"0.0.0.0:{port}"
    assert f"proxy_pass http://{name};" in conf
    mount = compose["services"]["nginx"]["volumes"][0].split(":")[0]
    assert (ROOT / mount).resolve() == (ROOT / "deploy" / "nginx.conf").resolve()


def test_the_image_copies_files_that_exist():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    sources = []
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *files, _target = shlex.split(line)[1:]
            sources.extend(files)
    assert "requirements.txt" in sources
    missing = [name for name in sources if name != "." and not (ROOT / name).exists()]
    assert not missing, f"the Dockerfile copies files that do not exist: {missing}"


def test_the_images_collectstatic_step_runs_with_the_build_environment():
    """The Dockerfile runs collectstatic with DEBUG=false and a throwaway secret only: settings
    must import with nothing else set (a dry run: nothing is written)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "VIRTUAL_ENV", "PYTHONPATH"}
    }
    environment.update({"DEBUG": "false", "SECRET_KEY": "build-only"})
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--dry-run", "-v0"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
