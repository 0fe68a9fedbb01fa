"""The worker portal: eligibility explained on the page, applying (and forged fields changing
nothing), entrusting, the claim timeline, account change, withdrawal, resubmission."""

import pytest
from django.urls import reverse

from core.crypto import decrypt
from subsidies.models import ClaimWindow, Entrustment, SubsidyClaim, SubsidyStandard
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    ACCOUNT,
    INSTITUTION_ACCOUNT,
    OTHER_ACCOUNT,
    PDF,
    document,
    entrust,
    frozen,
    give_account,
    institution,
    make_worker,
    media,
    set_status,
    submit_own,
    trainee,
)

pytestmark = pytest.mark.django_db


def apply_data(applicant, **extra):
    data = {
        "payee": "own",
        "holder_name": applicant.name,
        "bank_name": "中国工商银行许昌分行",
        "account": ACCOUNT,
        "confirm": "on",
    }
    data.update(extra)
    return data


def test_home_lists_each_training_with_green_and_red_rules(client, plan):
    good = trainee(plan)
    bad = trainee(plan, attended=17, planned=30, worker=good.worker, certificate=False)
    client.force_login(good.worker.user)
    response = client.get(reverse("subsidies:worker_home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="training-{good.pk}"' in html
    assert f'id="training-{bad.pk}"' in html
    assert "出勤 17/30 课次 = 56.7%" in html
    assert reverse("subsidies:apply_training", args=[good.pk]) in html
    assert reverse("subsidies:apply_training", args=[bad.pk]) not in html


def test_apply_creates_the_claim_and_redirects_to_its_timeline(client, plan):
    enrollment = trainee(plan)
    client.force_login(enrollment.worker.user)
    url = reverse("subsidies:apply_training", args=[enrollment.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, apply_data(enrollment.worker))
    claim = SubsidyClaim.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("subsidies:worker_claim", args=[claim.pk])
    page = client.get(response.url).content.decode()
    assert claim.number in page
    assert "已提交" in page
    assert "6222****0128" in page
    assert ACCOUNT not in page


def test_forged_amount_status_and_worker_change_nothing(client, plan):
    enrollment = trainee(plan)
    victim = trainee(plan)
    client.force_login(enrollment.worker.user)
    client.post(
        reverse("subsidies:apply_training", args=[enrollment.pk]),
        apply_data(
            enrollment.worker,
            amount="99999",
            status="paid",
            worker=victim.worker.pk,
            worker_id=victim.worker.pk,
            enrollment=victim.pk,
            standard=999,
        ),
    )
    claim = SubsidyClaim.objects.get()
    standard = SubsidyStandard.objects.get(kind="training", training_kind="employment")
    assert claim.amount == standard.amount
    assert claim.status == "submitted"
    assert claim.worker == enrollment.worker
    assert claim.enrollment == enrollment


def test_forged_account_on_an_entrusted_claim_is_ignored(client, plan):
    inst = give_account(institution())
    enrollment = trainee(plan, inst=inst)
    client.force_login(enrollment.worker.user)
    client.post(
        reverse("subsidies:apply_training", args=[enrollment.pk]),
        apply_data(enrollment.worker, payee="entrust", document=document(), account=OTHER_ACCOUNT),
    )
    claim = SubsidyClaim.objects.get()
    assert claim.payee_kind == "institution"
    assert claim.payee_account()[2] == INSTITUTION_ACCOUNT
    assert decrypt(claim.account_encrypted) == INSTITUTION_ACCOUNT
    assert Entrustment.objects.get().institution == inst


def test_entrust_without_a_document_is_a_400_field_error(client, plan):
    enrollment = trainee(plan, inst=give_account(institution()))
    client.force_login(enrollment.worker.user)
    response = client.post(
        reverse("subsidies:apply_training", args=[enrollment.pk]),
        apply_data(enrollment.worker, payee="entrust"),
    )
    assert response.status_code == 400
    assert "委托书" in response.content.decode()
    assert not SubsidyClaim.objects.exists()
    assert not Entrustment.objects.exists()


def test_failed_entrusted_submission_rolls_back_the_entrustment(client, plan):
    inst = institution()
    inst.bank_account_encrypted = ""
    inst.save()
    enrollment = trainee(plan, inst=inst)
    client.force_login(enrollment.worker.user)
    response = client.post(
        reverse("subsidies:apply_training", args=[enrollment.pk]),
        apply_data(enrollment.worker, payee="entrust", document=document()),
    )
    assert response.status_code == 400
    assert "没有登记基本账户" in response.content.decode()
    assert not Entrustment.objects.exists()


def test_bad_account_is_a_field_error_with_400(client, plan):
    enrollment = trainee(plan)
    client.force_login(enrollment.worker.user)
    response = client.post(
        reverse("subsidies:apply_training", args=[enrollment.pk]),
        apply_data(enrollment.worker, account="1234"),
    )
    assert response.status_code == 400
    assert "银行账号应为12至30位数字" in response.content.decode()
    assert not SubsidyClaim.objects.exists()


def test_holder_name_mismatch_is_a_field_error(client, plan):
    enrollment = trainee(plan)
    client.force_login(enrollment.worker.user)
    response = client.post(
        reverse("subsidies:apply_training", args=[enrollment.pk]),
        apply_data(enrollment.worker, holder_name="王五"),
    )
    assert response.status_code == 400
    assert "开户人姓名须与申请人姓名" in response.content.decode()


def test_ineligible_worker_sees_why_and_posting_anyway_creates_nothing(client, plan):
    ClaimWindow.objects.all().delete()
    enrollment = trainee(plan)
    client.force_login(enrollment.worker.user)
    url = reverse("subsidies:apply_training", args=[enrollment.pk])
    page = client.get(url).content.decode()
    assert 'id="apply-form"' not in page
    assert "当前不在培训补贴申领期内" in page
    response = client.post(url, apply_data(enrollment.worker))
    assert response.status_code == 400
    assert not SubsidyClaim.objects.exists()


def test_second_submission_shows_already_claimed(client, plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    client.force_login(enrollment.worker.user)
    response = client.post(
        reverse("subsidies:apply_training", args=[enrollment.pk]), apply_data(enrollment.worker)
    )
    assert response.status_code == 400
    assert claim.number in response.content.decode()
    assert SubsidyClaim.objects.count() == 1


def test_entrust_page_creates_the_entrustment(client, plan):
    enrollment = trainee(plan)
    client.force_login(enrollment.worker.user)
    url = reverse("subsidies:entrust", args=[enrollment.pk])
    response = client.post(url, {"signed_on": "2014-03-01", "document": document()})
    assert response.status_code == 302
    entrustment = Entrustment.objects.get()
    assert entrustment.institution == enrollment.training_class.institution
    assert entrustment.document.read().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("委托书.exe", PDF, "只接受 PDF、JPG 或 PNG"),
        ("委托书.pdf", b"MZ\x90\x00not a pdf", "内容与扩展名不符"),
        ("委托书.png", b"", "空文件"),
    ],
)
def test_entrust_document_is_checked(client, plan, name, content, message):
    enrollment = trainee(plan)
    client.force_login(enrollment.worker.user)
    response = client.post(
        reverse("subsidies:entrust", args=[enrollment.pk]),
        {"signed_on": "2014-03-01", "document": document(name, content)},
    )
    assert response.status_code == 400
    assert message in response.content.decode() or "提交的文件是空的" in response.content.decode()
    assert not Entrustment.objects.exists()


def test_timeline_shows_dates_and_reasons(client, plan):
    enrollment = trainee(plan)
    claim = set_status(submit_own(enrollment), "in_notice")
    client.force_login(enrollment.worker.user)
    client.post(
        reverse("subsidies:worker_claim_account", args=[claim.pk]),
        {"holder_name": enrollment.worker.name, "bank_name": "农行", "account": OTHER_ACCOUNT},
    )
    page = client.get(reverse("subsidies:worker_claim", args=[claim.pk])).content.decode()
    assert "审核中" in page
    assert "审核通过后变更收款账户，需重新审核" in page
    assert "2014-03-03" in page


def test_account_change_with_a_forged_status_changes_only_the_account(client, plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    client.force_login(enrollment.worker.user)
    client.post(
        reverse("subsidies:worker_claim_account", args=[claim.pk]),
        {
            "holder_name": enrollment.worker.name,
            "bank_name": "农行",
            "account": OTHER_ACCOUNT,
            "status": "ready",
            "amount": "1",
        },
    )
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert claim.amount > 1
    assert claim.payee_account()[2] == OTHER_ACCOUNT


def test_withdraw_and_resubmit_pages(client, plan):
    enrollment = trainee(plan)
    claim = set_status(submit_own(enrollment), "returned")
    client.force_login(enrollment.worker.user)
    response = client.post(reverse("subsidies:worker_claim_resubmit", args=[claim.pk]), {})
    assert response.status_code == 400
    client.post(
        reverse("subsidies:worker_claim_resubmit", args=[claim.pk]), {"reply": "已补充材料"}
    )
    claim.refresh_from_db()
    assert claim.status == "submitted"
    client.post(reverse("subsidies:worker_claim_withdraw", args=[claim.pk]), {"reason": "不申请了"})
    claim.refresh_from_db()
    assert claim.status == "withdrawn"


def test_claim_list_query_count_is_constant(client, plan, django_assert_max_num_queries):
    enrollment = trainee(plan)
    for status in ("refused", "withdrawn", "returned"):
        set_status(submit_own(enrollment), status)
    client.force_login(enrollment.worker.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("subsidies:worker_claims"))
    assert response.content.decode().count('<tr id="claim-') == 3


def test_home_query_count_grows_only_by_a_few_per_training(
    client, plan, django_assert_max_num_queries
):
    """Each row runs the full check; groups and certificates are read once for all rows, so a
    row costs its own claims, window and standard look-ups only."""
    first = trainee(plan)
    client.force_login(first.worker.user)
    with django_assert_max_num_queries(40) as one:
        client.get(reverse("subsidies:worker_home"))
    baseline = len(one.captured_queries)
    for _ in range(3):
        trainee(plan, worker=first.worker, certificate=False)
    with django_assert_max_num_queries(baseline + 3 * 5):
        client.get(reverse("subsidies:worker_home"))
