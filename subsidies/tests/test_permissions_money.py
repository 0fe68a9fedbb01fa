"""Permission matrix of the review and payment pages: reviewer cannot pay, finance cannot approve,
conflicts of interest are hidden, forged POSTs change nothing; bounded queries on lists."""

import pytest
from django.urls import reverse

from core.models import PaymentBatch
from core.roles import Role
from core.tests.factories import user_with_role
from subsidies.models import SubsidyClaim
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    frozen,
    media,
    reviewer,
    submit_own,
    trainee,
)
from subsidies.tests.money import approved, finance, ready, submitted

pytestmark = pytest.mark.django_db
Status = SubsidyClaim.Status

REVIEW_PAGES = ("subsidies:review_queue", "subsidies:review_notice_publish")


def _login(client, role):
    if role is None:
        return None
    user = reviewer() if role == Role.REVIEWER else user_with_role(role)
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.WORKER, 403),
        (Role.INSTITUTION, 403),
        (Role.FINANCE, 403),
        (Role.OFFICE, 403),
        (Role.CLERK, 403),
        (Role.REVIEWER, 200),
    ],
)
def test_review_pages_matrix(client, plan, role, expected):
    claim = submitted(plan)
    _login(client, role)
    for name in REVIEW_PAGES:
        assert client.get(reverse(name)).status_code == expected, name
    detail = client.get(reverse("subsidies:review_detail", args=[claim.pk]))
    assert detail.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.WORKER, 403),
        (Role.INSTITUTION, 403),
        (Role.REVIEWER, 403),
        (Role.OFFICE, 403),
        (Role.FINANCE, 200),
    ],
)
def test_batch_ready_page_matrix(client, plan, role, expected):
    _login(client, role)
    assert client.get(reverse("subsidies:batch_ready")).status_code == expected


def test_finance_cannot_approve_by_post(client, plan):
    claim = submitted(plan)
    client.force_login(finance())
    response = client.post(reverse("subsidies:review_approve", args=[claim.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert SubsidyClaim.objects.get(pk=claim.pk).status == Status.SUBMITTED


def test_reviewer_cannot_pay_by_post(client, plan, time_machine):
    (claim,) = ready(plan, time_machine)
    client.force_login(reviewer())
    response = client.post(reverse("subsidies:batch_ready"), {"ids": [claim.pk]})
    assert response.status_code == 403
    assert not PaymentBatch.objects.exists()
    assert client.get(reverse("core:batch_list")).status_code == 403


def test_own_institutions_claim_is_hidden_from_reviewer(client, plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    colleague = reviewer(institution=enrollment.training_class.institution)
    client.force_login(colleague)
    queue = client.get(reverse("subsidies:review_queue")).content.decode()
    assert claim.number not in queue
    assert client.get(reverse("subsidies:review_detail", args=[claim.pk])).status_code == 404
    response = client.post(reverse("subsidies:review_approve", args=[claim.pk]))
    assert response.status_code == 404
    assert SubsidyClaim.objects.get(pk=claim.pk).status == Status.SUBMITTED


def test_forged_post_fields_change_nothing(client, plan):
    claim = submitted(plan)
    amount = claim.amount
    client.force_login(reviewer())
    response = client.post(
        reverse("subsidies:review_approve", args=[claim.pk]),
        {"reason": "同意", "amount": "99999.00", "status": "paid", "worker": "1"},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Status.IN_NOTICE
    assert claim.amount == amount


def test_refuse_without_reason_is_400_with_message(client, plan):
    claim = submitted(plan)
    client.force_login(reviewer())
    response = client.post(reverse("subsidies:review_refuse", args=[claim.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "请填写不予补贴理由" in response.content.decode()
    assert SubsidyClaim.objects.get(pk=claim.pk).status == Status.SUBMITTED


def test_review_detail_shows_eligibility_rules(client, plan):
    claim = submitted(plan)
    client.force_login(reviewer())
    body = client.get(reverse("subsidies:review_detail", args=[claim.pk])).content.decode()
    assert 'data-rule="attendance"' in body
    assert "出勤" in body


def test_review_queue_filters(client, plan):
    own_claim = submitted(plan)
    other = approved(plan)
    client.force_login(reviewer())
    url = reverse("subsidies:review_queue")
    body = client.get(url).content.decode()
    assert own_claim.number in body
    assert other.number not in body  # approved: no longer waiting
    body = client.get(url, {"status": "in_notice"}).content.decode()
    assert other.number in body
    assert own_claim.number not in body
    body = client.get(url, {"channel": "institution"}).content.decode()
    assert own_claim.number not in body


def test_review_queue_queries_do_not_grow(client, plan, django_assert_max_num_queries):
    for _ in range(3):
        submitted(plan)
    client.force_login(reviewer())
    url = reverse("subsidies:review_queue")
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for _ in range(4):
        submitted(plan)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_batch_ready_builds_batch_and_queries_do_not_grow(
    client, plan, time_machine, django_assert_max_num_queries
):
    claims = ready(plan, time_machine, count=2)
    user = finance()
    client.force_login(user)
    url = reverse("subsidies:batch_ready")
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert claims[0].number in page.content.decode()
    response = client.post(url, {"ids": [c.pk for c in claims]})
    batch = PaymentBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:batch_detail", args=[batch.pk])
    assert client.post(url, {"ids": []}).status_code == 400
