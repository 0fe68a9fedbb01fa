"""The subsidies demo seeder: claims in every state through the real services, an open notice
with one objection, two batches (one closed with one failed line), maker ≠ checker; safe twice."""

import random

import pytest

from core import demo as core_demo
from core.models import Objection, PaymentBatch, PaymentLine, PublicNotice
from subsidies import demo
from subsidies.models import SubsidyClaim
from subsidies.tests.factories import frozen, give_account, media, trainee  # noqa: F401
from training.models import Institution

pytestmark = pytest.mark.django_db
OWN = 12
ENTRUSTED = 3
ELIGIBLE = OWN + ENTRUSTED


@pytest.fixture
def history(plan, roles):
    """Trainees of other institutions claim for themselves; three of the demo institution's
    (it has a staff account and a basic account) entrust it."""
    core_demo.seed_accounts()
    demo_institution = give_account(Institution.objects.get(name="许昌技师学院"))
    other = Institution.objects.exclude(pk=demo_institution.pk).order_by("pk").first()
    own = [trainee(plan, inst=other) for _ in range(OWN)]
    entrusted = [trainee(plan, inst=demo_institution) for _ in range(ENTRUSTED)]
    return own + entrusted


def _run(plan, lines):
    demo.seed_subsidies(campaign=plan, scale=1, rng=random.Random(7), log=lines.append)


def test_seeder_fills_every_state_and_is_safe_twice(plan, history):
    lines = []
    _run(plan, lines)
    assert "跳过" not in lines[-1], lines
    statuses = set(SubsidyClaim.objects.values_list("status", flat=True))
    assert statuses >= {
        "submitted",
        "under_review",
        "returned",
        "refused",
        "in_notice",
        "ready",
        "in_payment",
        "paid",
        "failed",
    }
    assert SubsidyClaim.objects.count() == ELIGIBLE
    entrusted = SubsidyClaim.objects.filter(channel="institution")
    assert entrusted.count() == ENTRUSTED
    assert {c.payee_kind for c in entrusted} == {"institution"}
    assert all(c.entrustment_id for c in entrusted)
    open_notice = PublicNotice.objects.get(status="open")
    assert Objection.objects.get().notice == open_notice
    assert PublicNotice.objects.filter(status="closed").count() == 1
    closed, approved = PaymentBatch.objects.order_by("number")
    assert closed.status == "closed"
    assert approved.status == "approved"
    for batch in (closed, approved):
        assert batch.prepared_by != batch.approved_by
    assert closed.lines.filter(status=PaymentLine.Status.FAILED).count() == 1
    assert "补贴申请：" in lines[-1]

    _run(plan, lines)
    assert SubsidyClaim.objects.count() == ELIGIBLE
    assert PaymentBatch.objects.count() == 2
    assert lines[-1] == "补贴申请：已有演示数据，跳过"
