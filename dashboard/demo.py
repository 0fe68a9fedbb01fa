"""seed_demo: realistic synthetic data across every app, in dependency order."""

import datetime
import importlib
import random
from collections.abc import Callable

from django.db import transaction

from core import clock
from core import demo as core_demo
from training.models import Campaign

# The apps whose ``demo`` module holds a ``SEEDERS`` list, in dependency order. A seeder takes
# (campaign, scale, rng, log) and must be safe to run twice.
DEMO_APPS = ("training", "appraisal", "subsidies", "awards")


def _load_seeders() -> list[Callable]:
    seeders: list[Callable] = []
    late: list[Callable] = []
    for app in DEMO_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.demo":
                raise
            continue  # the app has no demo data yet
        seeders.extend(module.SEEDERS)
        # Seeders that summarise other apps' data (the supply–demand analysis counts the
        # appraisal's certificates) run after every app's own seeders.
        late.extend(getattr(module, "LATE_SEEDERS", []))
    seeders.extend(late)
    # The dashboard's own history comes last: it reads what the other seeders wrote.
    seeders.append(seed_reports)
    return seeders


def seed(*, scale: int = 1, seed_value: int = 2013, log: Callable[[str], None] = print) -> None:
    campaign = Campaign.objects.current()
    if campaign is None:
        raise RuntimeError("请先运行 manage.py load_plan 载入专项活动方案。")
    with transaction.atomic():
        created = core_demo.seed_accounts()
    new = sum(1 for _, is_new in created if is_new)
    log(f"演示账号：新建 {new} 个，已有 {len(created) - new} 个")
    rng = random.Random(seed_value)  # noqa: S311 - demo data, reproducible on purpose
    for seeder in _load_seeders():
        seeder(campaign=campaign, scale=scale, rng=rng, log=log)


def seed_reports(
    *, campaign: Campaign, scale: int, rng: random.Random, log: Callable[[str], None]
) -> None:
    """Progress snapshots for every month owed by the demo's today and a published bulletin for
    each but the latest, so the dashboard and the bulletin list show the campaign's history.

    Goes through the services (``report_compute``, ``bulletin_draft``, ``bulletin_publish``),
    then dates each snapshot the day after its due day and each publication a few days later,
    as the scheduled job and the office would have done. ``scale`` and ``rng`` are accepted for
    the seeder protocol (one snapshot per month whatever the volume). Safe to run twice: a month
    that already has a snapshot is left as it is, a published bulletin too."""
    from core.models import User
    from dashboard.models import Bulletin
    from dashboard.services import bulletin_draft, bulletin_publish
    from training import deadlines
    from training.models import ReportRun
    from training.services.reports import report_compute

    months = deadlines.months_due(campaign, clock.now())
    if not months:
        log("月度进度：演示日期之前没有应报月份，跳过")
        return
    office = User.objects.filter(username="office").first()
    existing = set(ReportRun.objects.filter(campaign=campaign).values_list("month", flat=True))
    published = set(
        Bulletin.objects.filter(campaign=campaign, status=Bulletin.Status.PUBLISHED).values_list(
            "month", flat=True
        )
    )
    computed, bulletins = [], []
    with transaction.atomic():
        for month in months:
            if month not in existing:
                report_compute(campaign=campaign, month=month, actor=None)
                computed.append(month)
        if office is not None:
            for month in months[:-1]:
                if month in published:
                    continue
                bulletin = bulletin_draft(campaign=campaign, month=month, actor=office)
                bulletin_publish(bulletin=bulletin, actor=office)
                bulletins.append(month)
        _backdate(campaign, computed, bulletins)
    log(
        f"月度进度：新计算 {len(computed)} 个月，已有 {len(months) - len(computed)} 个月；"
        f"新发布通报 {len(bulletins)} 期"
        + ("" if office is not None else "（缺少 office 演示账号，未发布通报）")
    )


def refresh_breakdowns(*, campaign: Campaign, log: Callable[[str], None]) -> None:
    """Rewrite every snapshot's class-record breakdowns (``ReportRun.breakdowns``) from the class
    records as they now stand. Only for a seeder that has just bulk-written the campaign's history
    under snapshots computed earlier (the city scale's top-up): those records stand for the past,
    so the snapshots, published ones included, would have seen them. Never called by the product:
    a published snapshot is otherwise frozen."""
    from training.models import ReportRun
    from training.selectors.evidence import snapshot_breakdowns

    months = list(ReportRun.objects.filter(campaign=campaign).values_list("month", flat=True))
    with transaction.atomic():
        for month in months:
            ReportRun.objects.filter(campaign=campaign, month=month).update(
                breakdowns=snapshot_breakdowns(campaign=campaign, month=month)
            )
    log(f"月度进度：按新增台账重算 {len(months)} 个月的分县和差异数据")


def _backdate(campaign: Campaign, computed: list, published: list) -> None:
    """Give the demo's snapshots and bulletins the moments the history would have had: computed
    at 00:05 the day after the due day, published on the 8th at 16:00 (bulk updates of rows
    the seeder itself just wrote; their audit rows keep the seeding moment)."""
    from dashboard.models import Bulletin
    from training import deadlines
    from training.models import ReportRun

    for month in computed:
        window = deadlines.window_for(campaign, month)
        computed_at = window.due_at + datetime.timedelta(minutes=5)
        ReportRun.objects.filter(campaign=campaign, month=month).update(
            computed_at=computed_at, created_at=computed_at, updated_at=computed_at
        )
        Bulletin.objects.filter(campaign=campaign, month=month).update(
            snapshot_computed_at=computed_at
        )
    for month in published:
        window = deadlines.window_for(campaign, month)
        published_at = window.opens_at.replace(day=8, hour=16)
        drafted_at = published_at - datetime.timedelta(hours=3)
        ReportRun.objects.filter(campaign=campaign, month=month).update(
            published_at=published_at, updated_at=published_at
        )
        Bulletin.objects.filter(campaign=campaign, month=month).update(
            published_at=published_at, created_at=drafted_at, updated_at=published_at
        )
