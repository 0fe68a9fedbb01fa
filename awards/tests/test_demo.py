"""seed_demo's awards part: a completed 2013–2014 cycle with every winner paid, an open
2015–2016 cycle with nominations; a second run changes nothing."""

import random
from decimal import Decimal

import pytest

from awards.demo import seed_awards
from awards.models import Cycle, Nomination, Recusal, Winner
from awards.tests.support import make_worker
from core.demo import seed_accounts
from core.models import AuditEvent, PaymentBatch, PublicNotice

pytestmark = pytest.mark.django_db


def test_seed_awards_builds_a_paid_cycle_and_an_open_one(plan, roles):
    seed_accounts()
    for i in range(75):
        make_worker(level=2 if i % 3 == 0 else 3)
    lines = []
    seed_awards(campaign=plan, scale=1, rng=random.Random(1), log=lines.append)
    past, current = Cycle.objects.order_by("first_year")
    assert past.status == "published"
    assert current.status == "nominating"
    assert (past.first_year, current.first_year) == (2013, 2015)
    assert Winner.objects.filter(cycle=past, award_kind__code="technical_expert").count() == 50
    assert Winner.objects.filter(cycle=past, award_kind__code="grand_prize").count() == 10
    assert not Winner.objects.filter(cycle=past, paid_at__isnull=True).exists()
    paid = sum(Winner.objects.filter(cycle=past).values_list("paid_amount", flat=True))
    assert paid == Decimal("250000.00")
    assert PaymentBatch.objects.get(kind="awards").status == "closed"
    assert PublicNotice.objects.get(kind="awards.cycle").status == "closed"
    assert Recusal.objects.exists()
    assert Nomination.objects.filter(cycle=current).count() > 0
    assert "获奖 60 人" in lines[-1]

    seed_awards(campaign=plan, scale=1, rng=random.Random(1), log=lines.append)
    assert lines[-1] == "表彰奖励：已有数据，跳过"
    assert Cycle.objects.count() == 2
    assert AuditEvent.objects.filter(action="demo.seed_awards").count() == 1
