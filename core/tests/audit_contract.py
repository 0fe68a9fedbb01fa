"""The audit contract (issue 11, item 6): every action a service audits leaves exactly one row
saying who did what to which object, when, from where and with what outcome.

Three parts:

- ``inventory()`` reads the source (AST, not a hand-kept list) for every action code written to
  the audit trail: ``action="…"`` arguments of the audit writers, f-string codes as ``*``
  patterns, and calls that pass the code in a variable (listed in ``INDIRECT`` by the function
  they sit in, so that a new indirect call fails the inventory test until someone says which
  codes it writes).
- ``scenario(code)`` registers, in each app's ``tests/audit_scenarios.py``, a function that
  performs that action once through its service and returns what the row must show (``Expect``).
- ``check(code, function)`` runs one scenario under a known client address and asserts the rows it
  wrote: exactly one row with that code, naming the expected actor and object, timestamped inside
  the call, carrying the address and an outcome; any other rows written by the same call must be
  declared in ``Expect.also``.

``core/tests/test_audit_contract.py`` parametrizes ``check`` over every registered scenario and
fails if a code of the inventory has no scenario.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models
from django.test import override_settings
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "training", "appraisal", "subsidies", "awards", "dashboard")

#: Functions whose ``action=`` argument becomes an audit row's action code.
WRITERS = frozenset(
    {"audit_record", "claim_move", "_audit_event", "_designation_change", "_decide"}
)

#: Audit writes whose code is a variable: (path, enclosing function) → the codes it can write.
#: Filled in by the scenario modules (``INDIRECT.update(...)``) next to their scenarios.
INDIRECT: dict[tuple[str, str], frozenset[str]] = {}

#: The client address every scenario runs under (TEST-NET-3, never a real client).
CLIENT_IP = "203.0.113.77"


@dataclass(frozen=True)
class Site:
    code: str  # an action code, or a pattern with ``*`` for f-string codes
    path: str
    line: int
    function: str


def _code_of(node: ast.expr) -> list[str] | None:
    """The code(s) an ``action=`` expression writes; None when it is not knowable statically."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value else []
    if isinstance(node, ast.JoinedStr):
        return [
            "".join(part.value if isinstance(part, ast.Constant) else "*" for part in node.values)
        ]
    if isinstance(node, ast.BoolOp | ast.IfExp):  # ``a or f"…"``, ``"x" if c else "y"``
        codes: list[str] = []
        values = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
        for value in values:
            found = _code_of(value)
            if found is not None:
                codes.extend(found)
        return codes or None
    return None


def _sites_in(path: Path) -> tuple[list[Site], list[tuple[str, str, int]]]:
    relative = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sites: list[Site] = []
    indirect: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call):
                callee = child.func
                callee_name = (
                    callee.id
                    if isinstance(callee, ast.Name)
                    else callee.attr
                    if isinstance(callee, ast.Attribute)
                    else ""
                )
                if callee_name in WRITERS:
                    action = next((k.value for k in child.keywords if k.arg == "action"), None)
                    if action is not None:
                        codes = _code_of(action)
                        if codes is None and function in WRITERS:
                            pass  # a writer passing its own ``action`` on: its callers count
                        elif codes is None:
                            indirect.append((relative, function, child.lineno))
                        for code in codes or ():
                            sites.append(Site(code, relative, child.lineno, function))
            visit(child, name)

    visit(tree, "")
    return sites, indirect


def inventory() -> tuple[dict[str, list[Site]], list[tuple[str, str, int]]]:
    """(code or pattern → where it is written, indirect writes not listed in ``INDIRECT``)."""
    load_scenarios()
    codes: dict[str, list[Site]] = {}
    unlisted: list[tuple[str, str, int]] = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            sites, indirect = _sites_in(path)
            for site in sites:
                codes.setdefault(site.code, []).append(site)
            for relative, function, line in indirect:
                listed = INDIRECT.get((relative, function))
                if listed is None:
                    unlisted.append((relative, function, line))
                    continue
                for code in listed:
                    codes.setdefault(code, []).append(Site(code, relative, line, function))
    return codes, unlisted


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclass
class Expect:
    """What the row of one performed action must show.

    ``actor`` None means a system action (beat job, command): the row's actor is empty and its
    name "系统". ``obj`` is the object the row must point at (None: the action has no object).
    ``also`` lists the other action codes the same call writes (each may appear any number of
    times, e.g. one row per claim a notice closes); a row with a code not listed fails.
    """

    actor: models.Model | None
    obj: models.Model | None
    also: tuple[str, ...] = ()
    system: bool = field(default=False)


Scenario = Callable[[], Expect]


@contextmanager
def scratch_media() -> Iterator[None]:
    """Uploads and written files go to a temporary media root, removed afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix="audit-contract-media-") as root,
        override_settings(MEDIA_ROOT=root),
    ):
        yield


@contextmanager
def campaign_clock(moment: str) -> Iterator[None]:
    """``core.clock`` reads ``moment`` (the demo clock, honoured with DEBUG on) and uploads go to
    ``scratch_media``; the audit rows keep the real time, which ``check`` compares."""
    with scratch_media(), override_settings(DEBUG=True, APP_TODAY=moment):
        yield


SCENARIOS: dict[str, Scenario] = {}


def scenario(*codes: str):
    """Register the decorated function as the scenario for ``codes`` (one function may perform
    an action that writes several codes at once only if each is registered separately)."""

    def register(function: Scenario) -> Scenario:
        for code in codes:
            if code in SCENARIOS:
                raise ValueError(f"two scenarios for the audit action {code!r}")
            SCENARIOS[code] = function
        return function

    return register


def load_scenarios() -> None:
    """Import every app's ``tests/audit_scenarios*.py`` (several per app are fine)."""
    for app in APPS:
        for path in sorted((ROOT / app / "tests").glob("audit_scenarios*.py")):
            importlib.import_module(f"{app}.tests.{path.stem}")


def uncovered(codes: dict[str, list[Site]]) -> list[str]:
    """Inventory codes (patterns included) with no registered scenario."""
    missing = []
    for code in sorted(codes):
        if "*" in code:
            if not any(fnmatch.fnmatchcase(registered, code) for registered in SCENARIOS):
                missing.append(code)
        elif code not in SCENARIOS:
            missing.append(code)
    return missing


def check(code: str, function: Scenario) -> None:
    """Run ``function`` as if from ``CLIENT_IP`` and assert the audit rows it wrote."""
    from core.middleware import client_ip
    from core.models import AuditEvent

    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = timezone.now()
    token = client_ip.set(CLIENT_IP)
    try:
        expect = function()
    finally:
        client_ip.reset(token)
    finished = timezone.now()
    rows = list(AuditEvent.objects.filter(id__gt=before).order_by("id"))
    mine = [row for row in rows if row.action == code]
    assert len(mine) == 1, (
        f"{code}: expected exactly one audit row, got {len(mine)} "
        f"(all rows written: {[row.action for row in rows]})"
    )
    stray = sorted({row.action for row in rows if row.action != code} - set(expect.also))
    assert not stray, f"{code}: undeclared audit rows written by the same call: {stray}"
    row = mine[0]
    # Who
    if expect.actor is None:
        assert row.actor_id is None, (code, row.actor_id)
        assert row.actor_name == "系统", (code, row.actor_name)
    else:
        assert row.actor_id == expect.actor.pk, (code, row.actor_id, expect.actor.pk)
        assert row.actor_name == str(expect.actor)[:150]
    # What, on which object
    if expect.obj is not None:
        from django.contrib.contenttypes.models import ContentType

        assert row.content_type_id == ContentType.objects.get_for_model(expect.obj).pk, code
        assert row.object_id == str(expect.obj.pk), (code, row.object_id, expect.obj.pk)
        assert row.object_repr, code
    # When
    assert started <= row.created_at <= finished, code
    # From where
    assert row.ip_address == CLIENT_IP, (code, row.ip_address)
    # Outcome: the state reached, the values changed, or the reason given
    assert row.to_state or row.changes or row.reason, f"{code}: the row records no outcome"
