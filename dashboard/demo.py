"""seed_demo: realistic synthetic data across every app, in dependency order."""

import random
from collections.abc import Callable

from django.db import transaction

from core import demo as core_demo
from training.models import Campaign

# Each app that has demo data appends its seeder here, in dependency order.
# A seeder takes (campaign, scale, rng, log) and must be safe to run twice.
SEEDERS: list[Callable] = []


def _load_seeders() -> list[Callable]:
    seeders: list[Callable] = []
    try:
        from training import demo as training_demo
    except ImportError:  # pragma: no cover - the app has no demo data yet
        training_demo = None
    if training_demo is not None:
        seeders.extend(training_demo.SEEDERS)
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
