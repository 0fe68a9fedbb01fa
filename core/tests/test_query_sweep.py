"""The query-count sweep: every GET route of the site, in two worlds that differ only in volume.

Issue 10 asks that no list page or export has a query count that grows with its rows. Each app's
tests assert counts page by page; this sweep is the cross-cutting check. It reuses the
authorization sweep's machinery (``core/tests/test_access_sweep.py``): the routes, the declared
matrix, the samples that fill a URL's parameters, and the demo seed at 2014-07-02.

For every route with a GET (POST-only actions change the world and are driven by their own
tests), one admitted user is chosen — the matrix's first granted role; for an own-unit grant the
sample's own clerk / staff / worker — or an anonymous visitor for a public page. The page is
rendered once to warm the caches, then once more under ``CaptureQueriesContext``. Downloads are
included: a streamed body (``FileResponse``) is read inside the capture, so queries made while
streaming count too. Three comparisons:

- volume: the demo seed at scale 1, then (the first world rolled back) at scale 2. Per route the
  count must be the same (``ALLOWED_GROWTH`` would name an exception and its reason; it is empty).
  The audit workbook's sheets (the office's export, built by a job) are counted one by one too.
- page size: in the bigger world every ``Paginator`` is cut to ``SMALL_PAGE`` rows and the count
  must again be the same. The demo fills the first page of most paginated lists at both scales,
  so volume alone would not see a query per row there; a page of 2 rows against a full page does;
- a ceiling: no page above ``CEILING`` queries.

The figure printed: routes, the largest count, how many grew (or shrank), and on how many the
volume showed (more table or worksheet rows), so that "0 grew" can be judged. What neither world
nor page size varies (the plan's categories and units, the months, a class's roster) is held by
the ceiling: a query per row on a page of more than ~30 rows goes over it.

Downloads that answer with a redirect in the demo (a nomination without a document, an export job
not yet done) serve a stored file otherwise, with no query per row; the workbook those jobs build
is the sheets above.
"""

import datetime
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import openpyxl
import pytest
import time_machine
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import User
from core.tests.test_access_sweep import (
    ACCESS,
    DEMO_NOW,
    SAMPLES,
    People,
    Sample,
    _pk,
    parse,
    routes,
)

pytestmark = pytest.mark.django_db

CEILING = 40
SMALL_PAGE = 2
# Route → extra queries the bigger world may make, with the reason. Empty: none is needed.
ALLOWED_GROWTH: dict[str, tuple[int, str]] = {}
# Samples that must be of the same kind in both worlds. The access sweep takes the first object by
# pk; with another volume that can be an object of another shape, whose page legitimately runs
# another (constant) number of queries — compare like with like.
SAME_SHAPE: dict[str, Callable[[], Sample]] = {
    # The review page checks the institution's entrustment only for an institution's claim: at
    # scale 1 the first claim under review is a worker's own (and the only kind), at scale 2 an
    # institution's.
    "review_claim": lambda: _pk("subsidies.SubsidyClaim", status="under_review", channel="worker"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Measurement:
    status: int
    queries: int
    rows: int  # table rows of a page, or worksheet rows of a workbook: does the volume show?


@contextmanager
def counting() -> Iterator[CaptureQueriesContext]:
    """``CaptureQueriesContext`` on an emptied query log. The capture counts by the log's length,
    and the log (kept under DEBUG, emptied only when a request starts) stops growing at
    ``queries_limit``: after a seed it is full, and everything would count as 0 queries."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        yield captured
    assert captured.final_queries < connection.queries_limit, "查询日志已满，计数不可信"


def measure(client: Client, url: str) -> Measurement:
    """Render ``url`` once to warm the caches, then count the queries of a second rendering."""
    _read(client.get(url))
    with counting() as captured:
        response = client.get(url)
        body = _read(response)
    return Measurement(response.status_code, len(captured), _rows(response, body))


def _read(response) -> bytes:
    # A streamed body is produced while it is read: read it here, inside the capture.
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _rows(response, body: bytes) -> int:
    if response.get("Content-Type", "").startswith(XLSX):
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return sum(sum(1 for _ in sheet.iter_rows()) for sheet in workbook.worksheets)
    return body.count(b"<tr")


def grown(
    small: dict[str, Measurement],
    big: dict[str, Measurement],
    allowed: dict[str, tuple[int, str]] | None = None,
) -> list[str]:
    """The routes whose count in ``big`` is not the count in ``small``: above it by more than
    allowed, or below it (fewer queries for more rows is as telling as more: a detail page whose
    sample has fewer child rows in the bigger world, say)."""
    allowed = ALLOWED_GROWTH if allowed is None else allowed
    found = []
    for key in sorted(small.keys() & big.keys()):
        extra = big[key].queries - small[key].queries
        if extra < 0 or extra > allowed.get(key.split(" ")[0], (0, ""))[0]:
            found.append(
                f"{key}: {small[key].queries} → {big[key].queries} 次查询 "
                f"({small[key].rows} → {big[key].rows} 行)"
            )
    return found


@dataclass(frozen=True)
class Target:
    key: str  # the route name, plus the sample's index when the matrix gives several
    url: str
    user: User | None
    who: str


def targets() -> tuple[list[Target], list[str]]:
    """Every GET route with its URL and one admitted user; the routes that could not be aimed
    at (a sample missing from the world, no admitted user) are returned as problems, not
    skipped."""
    people = People()
    samplers = SAMPLES | SAME_SHAPE
    found, problems = [], []
    for name, _pattern in routes():
        access = ACCESS.get(name)
        if access is None or not access.get:
            continue  # undeclared: the access sweep fails; POST-only: nothing to render
        try:
            samples = samplers[access.obj]() if access.obj else Sample({})
        except Exception as exc:  # reported with the rest
            problems.append(f"{name}: 样本 {exc}")
            continue
        samples = samples if isinstance(samples, list) else [samples]
        is_public, grants = parse(access.get)
        for index, sample in enumerate(samples):
            key = name if len(samples) == 1 else f"{name} #{index}"
            url = reverse(name, kwargs=sample.kwargs)
            if is_public:
                found.append(Target(key, url, None, "anonymous"))
                continue
            for grant in grants.values():
                user = (
                    people.home(grant.role, sample)
                    if grant.own_only
                    else people.generic[grant.role]
                )
                if user is not None:
                    found.append(Target(key, url, user, str(grant.role)))
                    break
            else:
                problems.append(f"{key}: 矩阵准入的角色在样本中都没有用户")
    return found, problems


def sweep(aimed: list[Target]) -> dict[str, Measurement]:
    clients: dict[int | None, Client] = {}
    measured = {}
    for target in aimed:
        key = target.user.pk if target.user else None
        if key not in clients:
            clients[key] = Client(raise_request_exception=False)
            if target.user is not None:
                clients[key].force_login(target.user)
        measured[target.key] = measure(clients[key], target.url)
    return measured


def sheets() -> dict[str, Measurement]:
    """Every sheet of the audit workbook (the export the office downloads through a job),
    written on its own: once to warm, then counted."""
    from core.exports import write_exporters
    from dashboard.exports import audit_workbook_exporters
    from training.models import Campaign

    campaign = Campaign.objects.current()
    measured = {}
    for index in range(len(audit_workbook_exporters(campaign=campaign, user=None))):

        def write(index: int = index) -> dict[str, int]:
            exporter = audit_workbook_exporters(campaign=campaign, user=None)[index]
            return write_exporters(io.BytesIO(), [exporter])

        write()
        with counting() as captured:
            counts = write()
        [(sheet, rows)] = counts.items()
        measured[f"审计工作簿:{sheet}"] = Measurement(200, len(captured), rows)
    return measured


@contextmanager
def small_pages(monkeypatch) -> Iterator[None]:
    """Every ``Paginator`` of the site cut to ``SMALL_PAGE`` rows (views import the class, so
    its constructor is what is patched)."""
    original = Paginator.__init__

    def init(self, object_list, per_page, *args, **kwargs):
        original(self, object_list, min(int(per_page), SMALL_PAGE), *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Paginator, "__init__", init)
        yield


@contextmanager
def demo_world(scale: int) -> Iterator[None]:
    """The demo seed at ``scale``, rolled back on leaving so that another can follow."""
    from dashboard import demo

    with transaction.atomic(), time_machine.travel(DEMO_NOW, tick=False):
        cache.clear()  # nothing remembered from a world that no longer exists
        demo.seed(scale=scale, log=lambda _message: None)
        yield
        transaction.set_rollback(True)


def sheets_of(measured: dict[str, Measurement]) -> list[str]:
    return [key for key in measured if key.startswith("审计工作簿:")]


@pytest.fixture
def demo_settings(plan, roles, settings):
    settings.DEBUG = True
    settings.APP_TODAY = ""


def test_no_page_makes_more_queries_with_more_rows(demo_settings, monkeypatch):
    with demo_world(scale=1):
        aimed, problems = targets()
        small = sweep(aimed) | sheets()
    with demo_world(scale=2):
        aimed_big, problems_big = targets()
        big = sweep(aimed_big) | sheets()
        with small_pages(monkeypatch):
            short = sweep(aimed_big)

    by_volume = grown(small, big)
    by_page = grown(short, big)
    worst = max(big, key=lambda key: big[key].queries)
    more_rows = [key for key in big.keys() & small.keys() if big[key].rows > small[key].rows]
    fuller = [key for key in big.keys() & short.keys() if big[key].rows > short[key].rows]
    print(  # noqa: T201 - the figure the issue asks for
        f"\nquery sweep: {len({key.split(' ')[0] for key in big}) - len(sheets_of(big))} "
        f"routes ({len(big) - len(sheets_of(big))} pages) and "
        f"{len(sheets_of(big))} audit workbook sheets, max {big[worst].queries} queries "
        f"({worst}), {len(by_volume) + len(by_page)} grew (or shrank); more rows at scale 2 on "
        f"{len(more_rows)}, fuller pages than {SMALL_PAGE} rows on {len(fuller)} "
        f"(either on {len(set(more_rows) | set(fuller))}); "
        f"{sum(300 <= m.status < 400 for m in big.values())} answered with a redirect"
    )

    over = sorted(
        {
            f"{key}: {m.queries} 次查询"
            for world in (small, big)
            for key, m in world.items()
            if m.queries > CEILING
        }
    )
    failed = sorted(
        {
            f"{key}: HTTP {m.status}"
            for world in (small, big, short)
            for key, m in world.items()
            if m.status >= 400
        }
    )
    assert len(big) > 150, "扫到的路由过少：样本或矩阵出了问题"
    problems = (
        sorted(set(problems + problems_big))
        + [f"数据量变化: {line}" for line in by_volume]
        + [f"整页与小页不同: {line}" for line in by_page]
        + [f"超过 {CEILING} 次: {line}" for line in over]
        + failed
        + [f"只在一个数据量下扫到: {key}" for key in sorted(set(small) ^ set(big))]
    )
    assert not problems, "\n".join(problems)


def test_sweep_flags_a_list_that_queries_once_per_row(roles, monkeypatch):
    """The comparison can fail: make the notice list look something up for every notice shown,
    and the same measurement, with more notices, counts as grown — as does, within one world, a
    full page against a small page. Without the lookup, nothing is flagged."""
    from core import views_notices
    from core.models import PublicNotice
    from core.roles import Role
    from core.tests.factories import user_with_role

    office = user_with_role(Role.OFFICE)
    url = reverse("core:notice_list")
    client = Client()

    def add_notices(count: int) -> None:
        for _ in range(count):
            PublicNotice.objects.create(
                kind="sweep",
                title="公示",
                starts_on=datetime.date(2014, 7, 1),
                working_days=5,
                ends_on=datetime.date(2014, 7, 8),
                published_by=office,
            )

    def label_per_row(kind: str) -> str:
        PublicNotice.objects.filter(kind=kind).exists()  # a query for every notice on the page
        return kind

    add_notices(1)
    honest_small = {"core:notice_list": measure(client, url)}
    monkeypatch.setattr(views_notices.services, "notice_kind_label", label_per_row)
    leaky_small = {"core:notice_list": measure(client, url)}
    add_notices(4)
    leaky_big = {"core:notice_list": measure(client, url)}
    monkeypatch.undo()
    honest_big = {"core:notice_list": measure(client, url)}

    assert honest_big["core:notice_list"].rows > honest_small["core:notice_list"].rows
    assert grown(honest_small, honest_big) == []
    flagged = grown(leaky_small, leaky_big)
    assert len(flagged) == 1
    assert flagged[0].startswith("core:notice_list: ")
    # A named exception admits exactly the growth it names, no more.
    assert grown(leaky_small, leaky_big, {"core:notice_list": (4, "理由")}) == []
    assert grown(leaky_small, leaky_big, {"core:notice_list": (3, "理由")})
    # Fewer queries with more rows is a difference too (a sample with fewer children, say).
    assert grown(leaky_big, leaky_small)

    monkeypatch.setattr(views_notices.services, "notice_kind_label", label_per_row)
    with small_pages(monkeypatch):
        leaky_short = {"core:notice_list": measure(client, url)}
    assert leaky_short["core:notice_list"].rows < leaky_big["core:notice_list"].rows
    assert grown(leaky_short, leaky_big), "a full page against a small page must be flagged"
