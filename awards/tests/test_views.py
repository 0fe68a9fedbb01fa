"""Awards pages: a permission matrix for every page, the main flows through the pages (invalid
input re-rendered with 400), and bounded query counts on the list pages."""

import datetime

import pytest
from django.urls import reverse

from awards import services as svc
from awards.models import Cycle, Nomination, Recusal, Score, Winner
from awards.tests.support import (
    at,
    bulk_scored_nominations,
    clerk,
    expert,
    full_scores,
    grand,
    make_worker,
    member,
    nominate,
    occupation,
    office,
    open_cycle,
    unit_of,
)
from core.models import PaymentBatch
from core.roles import Role
from core.tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(plan):
    """A 2013–2014 cycle under review with two rsj nominations and one confirmed winner; the
    people of every role; a published 2011–2012 cycle for the honours pages."""
    people = {
        "office": office(),
        "auditor": user_with_role(Role.AUDITOR),
        "clerk": clerk("rsj"),
        "other_clerk": clerk("jyj"),
        "member": member("委员甲"),
        "outsider": member("委员丙"),
        "finance": user_with_role(Role.FINANCE),
        "worker": user_with_role(Role.WORKER),
        "institution": user_with_role(Role.REVIEWER),
    }
    cycle = open_cycle(plan, members=[people["member"]], actor=people["office"])
    nominations = [nominate(cycle, make_worker(level=2), actor=people["clerk"]) for _ in range(2)]
    svc.cycle_close_nominations(cycle=cycle, actor=people["office"])
    cycle.refresh_from_db()
    scorer = member()
    cycle.members.add(scorer)
    (scored,) = bulk_scored_nominations(cycle, grand(), 1, scorer)
    winner = svc.winner_confirm(nomination=scored, actor=people["office"])
    old = Cycle.objects.create(
        campaign=plan,
        first_year=2011,
        last_year=2012,
        title="2011—2012年度评选",
        nomination_opens=datetime.date(2012, 9, 1),
        nomination_closes=datetime.date(2012, 9, 30),
        status="published",
        published_at=at(2012, 12, 1, 9),
        opened_by=people["office"],
    )
    return {
        **people,
        "cycle": cycle,
        "nominations": nominations,
        "winner": winner,
        "old": old,
        "competition": svc.competition_create(
            campaign=plan,
            name="焊工竞赛",
            occupation=occupation(),
            held_on=datetime.date(2014, 5, 1),
            actor=people["office"],
        ),
    }


def _url(world, name):
    cycle, nomination = world["cycle"], world["nominations"][0]
    args = {
        "cycle_list": [],
        "cycle_create": [],
        "cycle_detail": [cycle.pk],
        "nomination_create": [cycle.pk],
        "nomination_detail": [nomination.pk],
        "review": [cycle.pk],
        "nomination_score": [nomination.pk],
        "ranking": [cycle.pk],
        "winner_bank": [world["winner"].pk],
        "prize_list": [cycle.pk],
        "honours_index": [],
        "honours_detail": [world["old"].pk],
        "competition_list": [],
        "competition_create": [],
        "competition_detail": [world["competition"].pk],
    }[name]
    return reverse(f"awards:{name}", args=args)


ANON = "anonymous"
# page → {role: expected status}; roles left out of a row are not checked for it.
MATRIX = {
    "cycle_list": {
        ANON: 302, "worker": 403, "institution": 403, "office": 200, "auditor": 200,
        "clerk": 200, "member": 200, "finance": 200,
    },
    "cycle_create": {ANON: 302, "clerk": 403, "member": 403, "auditor": 403, "office": 200},
    "cycle_detail": {
        ANON: 302, "worker": 403, "office": 200, "auditor": 200, "clerk": 200, "member": 200,
        "finance": 200,
    },
    "nomination_create": {
        ANON: 302, "member": 403, "auditor": 403, "finance": 403, "clerk": 200, "office": 200,
    },
    "nomination_detail": {
        ANON: 302, "worker": 403, "office": 200, "auditor": 200, "clerk": 200,
        "other_clerk": 404, "member": 200, "outsider": 404, "finance": 404,
    },
    "review": {ANON: 302, "office": 403, "outsider": 403, "clerk": 403, "member": 200},
    "nomination_score": {ANON: 302, "office": 403, "outsider": 404, "member": 200},
    "ranking": {
        ANON: 302, "clerk": 403, "finance": 403, "outsider": 403, "member": 403,
        "office": 200, "auditor": 200,
    },
    "winner_bank": {
        ANON: 302, "finance": 403, "member": 403, "other_clerk": 404, "clerk": 200,
        "office": 200,
    },
    "prize_list": {ANON: 302, "clerk": 403, "member": 403, "finance": 200, "office": 200,
                   "auditor": 200},
    "honours_index": {ANON: 200, "worker": 200, "office": 200},
    "honours_detail": {ANON: 200, "worker": 200},
    "competition_list": {ANON: 302, "worker": 403, "finance": 403, "office": 200, "clerk": 200},
    "competition_create": {ANON: 302, "clerk": 403, "office": 200},
    "competition_detail": {ANON: 302, "finance": 403, "office": 200, "member": 200},
}  # fmt: skip


@pytest.mark.parametrize("page", sorted(MATRIX))
def test_permission_matrix(client, world, page):
    url = _url(world, page)
    results = {}
    for role in MATRIX[page]:
        client.logout()
        if role != ANON:
            client.force_login(world[role])
        results[role] = client.get(url).status_code
    assert results == MATRIX[page]


def test_unpublished_cycle_has_no_public_honours_page(client, world):
    url = reverse("awards:honours_detail", args=[world["cycle"].pk])
    assert client.get(url).status_code == 404


def test_honours_page_shows_names_units_occupations_and_masked_ids(client, world):
    old = world["old"]
    scorer = member()
    nomination = bulk_scored_nominations(old, expert(), 1, scorer)[0]
    Winner.objects.create(
        cycle=old,
        award_kind=expert(),
        nomination=nomination,
        slot=1,
        mean_score=90,
        confirmed_by=world["office"],
    )
    worker = nomination.worker
    body = client.get(reverse("awards:honours_detail", args=[old.pk])).content.decode()
    assert worker.name in body
    assert worker.id_number_masked in body
    assert "许昌市技术能手" in body
    assert nomination.unit.name in body
    assert occupation().name in body


# --------------------------------------------------------------------------------------------
# Flows through the pages
# --------------------------------------------------------------------------------------------


def test_office_opens_a_cycle_and_invalid_input_is_400(client, plan):
    office_user = office()
    committee = member("委员乙")
    client.force_login(office_user)
    url = reverse("awards:cycle_create")
    bad = client.post(
        url,
        {
            "first_year": 2013,
            "nomination_opens": "2014-09-30",
            "nomination_closes": "2014-09-01",
            "members": [committee.pk],
        },
    )
    assert bad.status_code == 400
    assert "推荐截止日期不能早于开始日期" in bad.content.decode()
    ok = client.post(
        url,
        {
            "first_year": 2013,
            "nomination_opens": "2014-09-01",
            "nomination_closes": "2014-09-30",
            "members": [committee.pk],
        },
    )
    cycle = Cycle.objects.get()
    assert ok.status_code == 302
    assert ok["Location"] == reverse("awards:cycle_detail", args=[cycle.pk])
    assert list(cycle.members.all()) == [committee]


def _nomination_post(worker, **overrides):
    return {
        "award_kind": grand().pk,
        "unit": unit_of().pk,
        "id_number": worker.id_number,
        "name": worker.name,
        "occupation": occupation().pk,
        "employer": "许昌远东传动轴股份有限公司",
        "achievements": "攻克关键工艺。",
        **overrides,
    }


def _worker_with_number(level):
    from core.crypto import decrypt

    worker = make_worker(level=level)
    worker.id_number = decrypt(worker.id_number_encrypted)
    return worker


def test_clerk_nominates_through_the_page(client, plan):
    cycle = open_cycle(plan)
    client.force_login(clerk())
    url = reverse("awards:nomination_create", args=[cycle.pk])
    worker = _worker_with_number(2)
    wrong_name = client.post(url, _nomination_post(worker, name="王五"))
    assert wrong_name.status_code == 400
    assert "姓名与身份证号码登记的姓名不符" in wrong_name.content.decode()
    response = client.post(url, _nomination_post(worker))
    assert response.status_code == 302
    assert Nomination.objects.get().worker == worker


def test_ineligible_nomination_explains_why_with_400(client, plan):
    cycle = open_cycle(plan)
    client.force_login(clerk())
    worker = _worker_with_number(3)
    response = client.post(
        reverse("awards:nomination_create", args=[cycle.pk]), _nomination_post(worker)
    )
    assert response.status_code == 400
    assert "须持有技师及以上证书（现为：高级工）" in response.content.decode()
    assert not Nomination.objects.exists()


def test_clerk_cannot_post_for_another_departments_unit(client, plan):
    cycle = open_cycle(plan)
    client.force_login(clerk("rsj"))
    worker = _worker_with_number(2)
    response = client.post(
        reverse("awards:nomination_create", args=[cycle.pk]),
        _nomination_post(worker, unit=unit_of("jyj").pk),
    )
    assert response.status_code == 400  # not a choice for this clerk
    assert not Nomination.objects.exists()


def test_member_scores_recuses_and_submits_through_the_pages(client, world):
    member_user, (first, second) = world["member"], world["nominations"]
    client.force_login(member_user)
    bad = client.post(
        reverse("awards:nomination_score", args=[first.pk]),
        {"skill": 101, "contribution": 50, "mentoring": 50},
    )
    assert bad.status_code == 400
    ok = client.post(
        reverse("awards:nomination_score", args=[first.pk]),
        full_scores(expert(), 80),
    )
    assert ok.status_code == 302
    assert Score.objects.filter(member=member_user, nomination=first).count() == 3
    no_reason = client.post(reverse("awards:nomination_recuse", args=[second.pk]), {"reason": ""})
    assert no_reason.status_code == 400
    client.post(reverse("awards:nomination_recuse", args=[second.pk]), {"reason": "同事关系"})
    assert Recusal.objects.filter(member=member_user, nomination=second).exists()
    # The grand-prize nomination of the fixture still needs a score.
    submit = client.post(reverse("awards:review_submit", args=[world["cycle"].pk]), follow=True)
    assert "尚有1份推荐未评分" in submit.content.decode()


def test_recused_member_is_refused_on_the_score_page(client, world):
    member_user, first = world["member"], world["nominations"][0]
    svc.recusal_declare(nomination=first, reason="亲属", actor=member_user)
    client.force_login(member_user)
    response = client.post(
        reverse("awards:nomination_score", args=[first.pk]), full_scores(expert(), 80)
    )
    assert response.status_code == 400
    assert "申报回避，不能评分" in response.content.decode()
    assert not Score.objects.filter(member=member_user, nomination=first).exists()


def test_office_decides_publishes_and_finance_prepares_the_batch(client, world, frozen):
    office_user, cycle, winner = world["office"], world["cycle"], world["winner"]
    client.force_login(office_user)
    client.post(reverse("awards:cycle_notice_publish", args=[cycle.pk]))
    cycle.refresh_from_db()
    assert cycle.status == "notice"
    early = client.post(reverse("awards:cycle_notice_close", args=[cycle.pk]), follow=True)
    assert "期满后方可结束公示" in early.content.decode()
    frozen.move_to(at(2014, 10, 1, 9))
    client.force_login(office_user)  # the session would have expired over three weeks
    client.post(reverse("awards:cycle_notice_close", args=[cycle.pk]))
    cycle.refresh_from_db()
    assert cycle.status == "published"
    client.post(
        reverse("awards:winner_bank", args=[winner.pk]),
        {"bank_name": "中国银行", "account": "6222021234567890123"},
    )
    client.force_login(world["finance"])
    assert client.post(reverse("awards:prize_batch_create", args=[cycle.pk])).status_code == 302
    assert PaymentBatch.objects.get().line_count == 1
    client.force_login(office_user)
    assert client.post(reverse("awards:prize_batch_create", args=[cycle.pk])).status_code == 403


def test_bank_form_invalid_account_is_400(client, world):
    client.force_login(world["office"])
    response = client.post(
        reverse("awards:winner_bank", args=[world["winner"].pk]),
        {"bank_name": "中国银行", "account": "12345"},
    )
    assert response.status_code == 400
    assert "银行账号应为" in response.content.decode()


def test_confirm_from_ranking_page(client, world):
    client.force_login(world["office"])
    scorer = member()
    world["cycle"].members.add(scorer)
    (nomination,) = bulk_scored_nominations(world["cycle"], grand(), 1, scorer)
    response = client.post(reverse("awards:winner_confirm", args=[nomination.pk]))
    assert response.status_code == 302
    assert Winner.objects.filter(nomination=nomination, slot=2).exists()


def test_competition_result_through_the_page(client, world):
    client.force_login(world["office"])
    worker = _worker_with_number(4)
    url = reverse("awards:competition_detail", args=[world["competition"].pk])
    bad = client.post(url, {"id_number": worker.id_number, "name": worker.name, "rank": 0})
    assert bad.status_code == 400
    ok = client.post(url, {"id_number": worker.id_number, "name": worker.name, "rank": 2})
    assert ok.status_code == 302
    assert world["competition"].results.get().rank == 2


# --------------------------------------------------------------------------------------------
# Query counts
# --------------------------------------------------------------------------------------------


def _add_nominations(world, n):
    scorer = world["member"]
    return bulk_scored_nominations(world["cycle"], expert(), n, scorer)


@pytest.mark.parametrize(
    ("page", "role"),
    [
        ("cycle_detail", "office"),
        ("cycle_detail", "clerk"),
        ("ranking", "office"),
        ("prize_list", "finance"),
        ("cycle_list", "office"),
        ("review", "member"),
    ],
)
def test_pages_run_constant_queries(client, world, django_assert_max_num_queries, page, role):
    client.force_login(world[role])
    url = _url(world, page)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    _add_nominations(world, 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_home_page_shows_the_awards_panel_to_the_office(client, world):
    client.force_login(world["office"])
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="awards-panel"' in body
    assert world["cycle"].title in body


def test_home_page_shows_a_workers_own_honours(client, world):
    old = world["old"]
    nomination = bulk_scored_nominations(old, grand(), 1, member())[0]
    Winner.objects.create(
        cycle=old,
        award_kind=grand(),
        nomination=nomination,
        slot=1,
        mean_score=90,
        confirmed_by=world["office"],
    )
    worker = nomination.worker
    worker.user = world["worker"]
    worker.save(update_fields=["user"])
    client.force_login(world["worker"])
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="my-honours"' in body
    assert "许昌市技能大奖" in body
    client.force_login(user_with_role(Role.WORKER))
    assert 'id="my-honours"' not in client.get(reverse("dashboard:home")).content.decode()


def test_nomination_document_download_and_missing_document(client, plan, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    cycle = open_cycle(plan)
    pdf = SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n% form\n", content_type="application/pdf")
    with_doc = nominate(cycle, make_worker(level=3), document=pdf)
    without = nominate(cycle, make_worker(level=3))
    client.force_login(clerk())
    response = client.get(reverse("awards:nomination_document", args=[with_doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    missing = client.get(reverse("awards:nomination_document", args=[without.pk]))
    assert missing.status_code == 302
    client.force_login(clerk("jyj"))
    other = client.get(reverse("awards:nomination_document", args=[with_doc.pk]))
    assert other.status_code == 404


def test_bank_link_only_for_who_may_enter_the_account(client, world):
    url = reverse("awards:cycle_detail", args=[world["cycle"].pk])
    bank_url = reverse("awards:winner_bank", args=[world["winner"].pk])
    client.force_login(world["clerk"])
    assert bank_url in client.get(url).content.decode()
    client.force_login(world["member"])
    assert bank_url not in client.get(url).content.decode()
    client.force_login(world["finance"])
    assert bank_url not in client.get(url).content.decode()
