"""Awards services: plan data, cycles, nominations (window, ceiling, eligibility), review
(recusal, scores, submission), the ranking's tie rule, winners within the quota."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from awards import selectors as sel
from awards import services as svc
from awards.models import (
    AwardKind,
    CompetitionResult,
    CycleCeiling,
    NominatingUnit,
    Nomination,
    Recusal,
    Score,
    Winner,
)
from awards.tests.support import (
    CLOSES,
    OPENS,
    at,
    bulk_scored_nominations,
    clerk,
    county_unit,
    expert,
    full_scores,
    give_certificate,
    grand,
    make_worker,
    member,
    nominate,
    occupation,
    office,
    open_cycle,
    unit_of,
)
from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from training.services.plan import plan_load

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------
# Plan data
# --------------------------------------------------------------------------------------------


def test_plan_loads_the_two_awards_with_quotas_and_prizes_from_data(plan):
    assert (expert().winners_per_cycle, expert().prize) == (50, Decimal("3000.00"))
    assert (grand().winners_per_cycle, grand().prize) == (10, Decimal("10000.00"))
    assert grand().min_certificate_level == 2
    assert grand().max_competition_rank is None
    assert expert().criteria.count() == 3
    assert sum(c.weight for c in expert().criteria.all()) == Decimal("1.00")
    assert NominatingUnit.objects.filter(department__code="rsj").exists()
    assert NominatingUnit.objects.filter(kind="county").count() == 9
    assert not NominatingUnit.objects.filter(department__code="czj").exists()


def test_plan_load_twice_changes_nothing(plan):
    result = plan_load()
    assert "award_kinds" not in result.created
    assert not result.updated.get("award_kinds")
    assert AwardKind.objects.count() == 2


# --------------------------------------------------------------------------------------------
# Cycles
# --------------------------------------------------------------------------------------------


def test_office_opens_a_cycle_with_a_ceiling_per_unit_and_kind(plan):
    cycle = open_cycle(plan)
    assert cycle.last_year == 2014
    assert cycle.status == "nominating"
    units = NominatingUnit.objects.count()
    assert CycleCeiling.objects.filter(cycle=cycle).count() == units * 2
    ceiling = CycleCeiling.objects.get(cycle=cycle, unit=unit_of(), award_kind=grand())
    assert ceiling.ceiling == grand().default_unit_ceiling
    assert AuditEvent.objects.filter(action="awards.cycle_open").count() == 1


def test_only_the_office_opens_a_cycle(plan):
    with pytest.raises(PermissionDenied):
        open_cycle(plan, actor=clerk())


def test_cycle_members_must_be_committee_members(plan):
    with pytest.raises(ValidationError) as exc:
        open_cycle(plan, members=[clerk()])
    assert "不是评审委员会委员" in str(exc.value)


def test_overlapping_cycle_refused(plan):
    open_cycle(plan)
    with pytest.raises(RuleViolation, match="重叠"):
        svc.cycle_open(
            campaign=plan,
            first_year=2014,
            nomination_opens=OPENS,
            nomination_closes=CLOSES,
            members=[member()],
            actor=office(),
        )


# --------------------------------------------------------------------------------------------
# Nominations: window, ceiling, eligibility, who
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (datetime.date(2014, 8, 31), False),
        (OPENS, True),
        (CLOSES, True),
        (datetime.date(2014, 10, 1), False),
    ],
)
def test_nomination_window_both_boundaries(plan, frozen, day, ok):
    cycle = open_cycle(plan)
    worker = make_worker(level=3)
    frozen.move_to(at(day.year, day.month, day.day, 10))
    if ok:
        assert nominate(cycle, worker).status == "submitted"
    else:
        with pytest.raises(RuleViolation) as exc:
            nominate(cycle, worker)
        assert ("尚未开始" if day < OPENS else "已于2014年09月30日截止") in exc.value.message


def test_nomination_over_the_units_ceiling_refused_with_reason(plan):
    cycle = open_cycle(plan)
    ceiling = grand().default_unit_ceiling
    for _ in range(ceiling):
        nominate(cycle, make_worker(level=2), award=grand())
    with pytest.raises(RuleViolation) as exc:
        nominate(cycle, make_worker(level=2), award=grand())
    assert exc.value.code == "nomination_over_ceiling"
    assert f"推荐名额为{ceiling}名，已推荐{ceiling}名" in exc.value.message
    # Another unit still has its own places.
    nominate(cycle, make_worker(level=2), award=grand(), unit=unit_of("jyj"))


def test_withdrawing_frees_a_ceiling_place(plan):
    cycle = open_cycle(plan)
    office_user = office()
    ceiling = CycleCeiling.objects.get(cycle=cycle, unit=unit_of(), award_kind=grand())
    svc.ceiling_set(ceiling=ceiling, value=1, actor=office_user)
    first = nominate(cycle, make_worker(level=2), award=grand())
    with pytest.raises(RuleViolation):
        nominate(cycle, make_worker(level=2), award=grand())
    svc.nomination_withdraw(nomination=first, reason="材料有误", actor=clerk())
    nominate(cycle, make_worker(level=2), award=grand())


def test_ceiling_cannot_drop_below_nominations_made(plan):
    cycle = open_cycle(plan)
    nominate(cycle, make_worker(level=2), award=grand())
    nominate(cycle, make_worker(level=2), award=grand())
    ceiling = CycleCeiling.objects.get(cycle=cycle, unit=unit_of(), award_kind=grand())
    with pytest.raises(RuleViolation, match="已推荐2名"):
        svc.ceiling_set(ceiling=ceiling, value=1, actor=office())
    assert svc.ceiling_set(ceiling=ceiling, value=2, actor=office()).ceiling == 2


@pytest.mark.parametrize(("level", "ok"), [(3, False), (2, True), (1, True)])
def test_grand_prize_needs_technician_or_above(plan, level, ok):
    cycle = open_cycle(plan)
    worker = make_worker(level=level)
    if ok:
        assert "证书" in nominate(cycle, worker, award=grand()).eligibility_basis
    else:
        with pytest.raises(RuleViolation) as exc:
            nominate(cycle, worker, award=grand())
        assert "须持有技师及以上证书（现为：高级工）" in exc.value.message


@pytest.mark.parametrize(("level", "ok"), [(4, False), (3, True)])
def test_technical_expert_needs_senior_worker_or_above(plan, level, ok):
    cycle = open_cycle(plan)
    worker = make_worker(level=level)
    if ok:
        nominate(cycle, worker)
    else:
        with pytest.raises(RuleViolation, match="高级工及以上"):
            nominate(cycle, worker)


@pytest.mark.parametrize(("rank", "ok"), [(3, True), (4, False)])
def test_competition_rank_makes_a_worker_nominable_for_technical_expert(plan, rank, ok):
    cycle = open_cycle(plan)
    office_user = office()
    competition = svc.competition_create(
        campaign=plan,
        name="许昌市第五届职业技能竞赛（焊工）",
        occupation=occupation(),
        held_on=datetime.date(2014, 5, 20),
        actor=office_user,
    )
    worker = make_worker(level=4)
    svc.competition_result_record(
        competition=competition, worker=worker, rank=rank, actor=office_user
    )
    if ok:
        nomination = nominate(cycle, worker)
        assert nomination.best_rank == rank
        assert "第3名" in nomination.eligibility_basis
    else:
        with pytest.raises(RuleViolation, match="前3名（现为：最好名次第4名）"):
            nominate(cycle, worker)


def test_competition_before_the_cycle_does_not_count(plan):
    cycle = open_cycle(plan)
    office_user = office()
    competition = svc.competition_create(
        campaign=plan,
        name="许昌市第四届职业技能竞赛",
        occupation=occupation(),
        held_on=datetime.date(2012, 12, 31),
        actor=office_user,
    )
    worker = make_worker()
    svc.competition_result_record(competition=competition, worker=worker, rank=1, actor=office_user)
    with pytest.raises(RuleViolation, match="无本届市级竞赛成绩"):
        nominate(cycle, worker)


def test_competition_results_office_only_and_once(plan):
    competition = svc.competition_create(
        campaign=plan,
        name="竞赛",
        occupation=occupation(),
        held_on=datetime.date(2014, 5, 20),
        actor=office(),
    )
    worker = make_worker()
    with pytest.raises(PermissionDenied):
        svc.competition_result_record(competition=competition, worker=worker, rank=1, actor=clerk())
    svc.competition_result_record(competition=competition, worker=worker, rank=1, actor=office())
    with pytest.raises(RuleViolation, match="已有成绩"):
        svc.competition_result_record(
            competition=competition, worker=worker, rank=2, actor=office()
        )
    assert CompetitionResult.objects.count() == 1


def test_worker_nominated_once_per_cycle(plan):
    cycle = open_cycle(plan)
    worker = make_worker(level=2)
    nominate(cycle, worker)
    with pytest.raises(RuleViolation, match="每届只能推荐一次"):
        nominate(cycle, worker, award=grand(), unit=unit_of("jyj"))


def test_clerk_nominates_only_for_own_department(plan):
    cycle = open_cycle(plan)
    with pytest.raises(PermissionDenied):
        nominate(cycle, make_worker(level=3), unit=unit_of("jyj"), actor=clerk("rsj"))
    with pytest.raises(PermissionDenied):
        nominate(cycle, make_worker(level=3), unit=county_unit(), actor=clerk("rsj"))


def test_office_enters_county_nominations(plan):
    cycle = open_cycle(plan)
    nomination = nominate(cycle, make_worker(level=3), unit=county_unit(), actor=office())
    assert nomination.unit.kind == "county"


def test_nominations_closed_after_the_office_closes_them(plan):
    cycle = open_cycle(plan)
    nominate(cycle, make_worker(level=3))
    svc.cycle_close_nominations(cycle=cycle, actor=office())
    with pytest.raises(RuleViolation, match="推荐已截止"):
        nominate(cycle, make_worker(level=3))


def test_cannot_close_nominations_of_an_empty_cycle(plan):
    cycle = open_cycle(plan)
    with pytest.raises(RuleViolation, match="尚无推荐"):
        svc.cycle_close_nominations(cycle=cycle, actor=office())


# --------------------------------------------------------------------------------------------
# Review
# --------------------------------------------------------------------------------------------


@pytest.fixture
def review(plan):
    """A cycle under review: two members, three 技术能手 nominations."""
    a, b = member("委员甲"), member("委员乙")
    cycle = open_cycle(plan, members=[a, b])
    nominations = [nominate(cycle, make_worker(level=3)) for _ in range(3)]
    svc.cycle_close_nominations(cycle=cycle, actor=office())
    cycle.refresh_from_db()
    return cycle, a, b, nominations


def test_recused_member_cannot_score(review):
    _cycle, a, _b, nominations = review
    svc.recusal_declare(nomination=nominations[0], reason="系本人所在单位职工", actor=a)
    with pytest.raises(RuleViolation) as exc:
        svc.scores_record(nomination=nominations[0], values=full_scores(expert(), 80), actor=a)
    assert exc.value.code == "score_recused"
    assert not Score.objects.filter(nomination=nominations[0], member=a).exists()


def test_recusal_discards_draft_scores_and_needs_a_reason(review):
    _cycle, a, _b, nominations = review
    svc.scores_record(nomination=nominations[0], values=full_scores(expert(), 80), actor=a)
    with pytest.raises(ValidationError):
        svc.recusal_declare(nomination=nominations[0], reason="  ", actor=a)
    svc.recusal_declare(nomination=nominations[0], reason="亲属关系", actor=a)
    assert not Score.objects.filter(nomination=nominations[0], member=a).exists()
    assert Recusal.objects.get().reason == "亲属关系"


def test_only_the_cycles_members_score(review):
    _cycle, _a, _b, nominations = review
    outsider = member()
    with pytest.raises(PermissionDenied):
        svc.scores_record(
            nomination=nominations[0], values=full_scores(expert(), 80), actor=outsider
        )


@pytest.mark.parametrize(("value", "ok"), [(-1, False), (0, True), (100, True), (101, False)])
def test_score_range_both_sides(review, value, ok):
    _cycle, a, _b, nominations = review
    values = full_scores(expert(), 50) | {"skill": value}
    if ok:
        svc.scores_record(nomination=nominations[0], values=values, actor=a)
    else:
        with pytest.raises(ValidationError, match="0至100之间"):
            svc.scores_record(nomination=nominations[0], values=values, actor=a)


def test_submit_needs_every_non_recused_nomination_scored(review):
    cycle, a, _b, nominations = review
    svc.recusal_declare(nomination=nominations[2], reason="同一企业", actor=a)
    svc.scores_record(nomination=nominations[0], values=full_scores(expert(), 80), actor=a)
    with pytest.raises(RuleViolation, match="尚有1份推荐未评分"):
        svc.scores_submit(cycle=cycle, actor=a)
    svc.scores_record(nomination=nominations[1], values=full_scores(expert(), 70), actor=a)
    svc.scores_submit(cycle=cycle, actor=a)
    with pytest.raises(RuleViolation, match="不能再修改"):
        svc.scores_record(nomination=nominations[1], values=full_scores(expert(), 90), actor=a)


def test_other_members_scores_hidden_until_own_submission(review):
    cycle, a, b, nominations = review
    for n in nominations:
        svc.scores_record(nomination=n, values=full_scores(expert(), 80), actor=a)
    svc.scores_submit(cycle=cycle, actor=a)
    svc.scores_record(nomination=nominations[0], values=full_scores(expert(), 60), actor=b)
    assert sel.nomination_scores_visible(nomination=nominations[0], user=b) == []
    assert not sel.can_see_ranking(cycle=cycle, user=b)
    for n in nominations[1:]:
        svc.scores_record(nomination=n, values=full_scores(expert(), 60), actor=b)
    svc.scores_submit(cycle=cycle, actor=b)
    visible = sel.nomination_scores_visible(nomination=nominations[0], user=b)
    assert {row["member"].pk for row in visible} == {a.pk, b.pk}
    assert sel.can_see_ranking(cycle=cycle, user=b)


def test_ranking_is_the_mean_of_submitted_members_weighted_totals(review):
    cycle, a, b, nominations = review
    for n, (va, vb) in zip(nominations, [(80, 60), (90, 90), (50, 100)], strict=True):
        svc.scores_record(nomination=n, values=full_scores(expert(), va), actor=a)
        svc.scores_record(nomination=n, values=full_scores(expert(), vb), actor=b)
    svc.scores_submit(cycle=cycle, actor=a)
    # b has not submitted: only a's totals count.
    rows = sel.ranking(cycle=cycle, award_kind=expert())
    assert [(r.nomination.pk, r.mean) for r in rows] == [
        (nominations[1].pk, Decimal("90.00")),
        (nominations[0].pk, Decimal("80.00")),
        (nominations[2].pk, Decimal("50.00")),
    ]
    svc.scores_submit(cycle=cycle, actor=b)
    rows = sel.ranking(cycle=cycle, award_kind=expert())
    assert [(r.nomination.pk, r.mean) for r in rows] == [
        (nominations[1].pk, Decimal("90.00")),
        (nominations[2].pk, Decimal("75.00")),
        (nominations[0].pk, Decimal("70.00")),
    ]


def test_ranking_weights_criteria(review):
    cycle, a, _b, nominations = review
    # skill 0.4, contribution 0.4, mentoring 0.2
    svc.scores_record(
        nomination=nominations[0],
        values={"skill": 100, "contribution": 50, "mentoring": 0},
        actor=a,
    )
    for n in nominations[1:]:
        svc.scores_record(nomination=n, values=full_scores(expert(), 0), actor=a)
    svc.scores_submit(cycle=cycle, actor=a)
    assert sel.ranking(cycle=cycle, award_kind=expert())[0].mean == Decimal("60.00")


def test_tie_rule_level_then_competition_rank_then_nomination_time(review):
    cycle, a, _b, nominations = review
    first, second, third = nominations
    # Same score for all three.
    for n in nominations:
        svc.scores_record(nomination=n, values=full_scores(expert(), 80), actor=a)
    svc.scores_submit(cycle=cycle, actor=a)
    order = [r.nomination.pk for r in sel.ranking(cycle=cycle, award_kind=expert())]
    assert order == [first.pk, second.pk, third.pk]  # all level 3, no rank: earliest first
    Nomination.objects.filter(pk=third.pk).update(best_level=2)
    Nomination.objects.filter(pk=second.pk).update(best_rank=1)
    order = [r.nomination.pk for r in sel.ranking(cycle=cycle, award_kind=expert())]
    assert order == [third.pk, second.pk, first.pk]


# --------------------------------------------------------------------------------------------
# Decision
# --------------------------------------------------------------------------------------------


def _reviewing_cycle(plan):
    scorer = member()
    cycle = open_cycle(plan, members=[scorer])
    nominate(cycle, make_worker(level=2))
    svc.cycle_close_nominations(cycle=cycle, actor=office())
    cycle.refresh_from_db()
    return cycle, scorer


def test_the_51st_technical_expert_is_refused(plan):
    cycle, scorer = _reviewing_cycle(plan)
    nominations = bulk_scored_nominations(cycle, expert(), 51, scorer)
    office_user = office()
    for nomination in nominations[:50]:
        svc.winner_confirm(nomination=nomination, actor=office_user)
    with pytest.raises(RuleViolation) as exc:
        svc.winner_confirm(nomination=nominations[50], actor=office_user)
    assert exc.value.code == "winner_quota_full"
    assert "名额为50名" in exc.value.message
    winners = Winner.objects.filter(cycle=cycle, award_kind=expert())
    assert winners.count() == 50
    assert sorted(winners.values_list("slot", flat=True)) == list(range(1, 51))


def test_the_11th_grand_prize_is_refused(plan):
    cycle, scorer = _reviewing_cycle(plan)
    nominations = bulk_scored_nominations(cycle, grand(), 11, scorer)
    office_user = office()
    for nomination in nominations[:10]:
        svc.winner_confirm(nomination=nomination, actor=office_user)
    with pytest.raises(RuleViolation, match="技能大奖本届名额为10名"):
        svc.winner_confirm(nomination=nominations[10], actor=office_user)
    assert Winner.objects.filter(cycle=cycle, award_kind=grand()).count() == 10


def test_quota_comes_from_data(plan):
    AwardKind.objects.filter(code="grand_prize").update(winners_per_cycle=2)
    cycle, scorer = _reviewing_cycle(plan)
    nominations = bulk_scored_nominations(cycle, grand(), 3, scorer)
    svc.winner_confirm(nomination=nominations[0], actor=office())
    svc.winner_confirm(nomination=nominations[1], actor=office())
    with pytest.raises(RuleViolation, match="名额为2名"):
        svc.winner_confirm(nomination=nominations[2], actor=office())


def test_confirm_top_fills_the_quota_in_ranking_order(plan):
    cycle, scorer = _reviewing_cycle(plan)
    nominations = bulk_scored_nominations(cycle, grand(), 12, scorer)
    winners = svc.winners_confirm_top(cycle=cycle, award_kind=grand(), actor=office())
    assert len(winners) == 10
    # Scores fall with the index (90, 89, …): the two lowest are left out.
    assert {w.nomination_id for w in winners} == {n.pk for n in nominations[:10]}
    with pytest.raises(RuleViolation, match="没有可确定的人选"):
        svc.winners_confirm_top(cycle=cycle, award_kind=grand(), actor=office())


def test_revoked_winner_frees_a_slot_during_review(plan):
    cycle, scorer = _reviewing_cycle(plan)
    AwardKind.objects.filter(code="grand_prize").update(winners_per_cycle=1)
    first, second = bulk_scored_nominations(cycle, grand(), 2, scorer)
    winner = svc.winner_confirm(nomination=first, actor=office())
    svc.winner_revoke(winner=winner, reason="确认有误", actor=office())
    assert svc.winner_confirm(nomination=second, actor=office()).slot == 1


def test_unscored_nomination_cannot_win(plan):
    cycle, _scorer = _reviewing_cycle(plan)
    nomination = cycle.nominations.get()
    with pytest.raises(RuleViolation, match="尚无已提交的评审评分"):
        svc.winner_confirm(nomination=nomination, actor=office())


def test_only_office_confirms(plan):
    cycle, scorer = _reviewing_cycle(plan)
    (nomination,) = bulk_scored_nominations(cycle, grand(), 1, scorer)
    with pytest.raises(PermissionDenied):
        svc.winner_confirm(nomination=nomination, actor=scorer)
    with pytest.raises(PermissionDenied):
        svc.winner_confirm(nomination=nomination, actor=user_with_role(Role.FINANCE))


# --------------------------------------------------------------------------------------------
# Bank account
# --------------------------------------------------------------------------------------------


def test_bank_account_validated_encrypted_and_masked(plan):
    cycle, scorer = _reviewing_cycle(plan)
    (nomination,) = bulk_scored_nominations(cycle, grand(), 1, scorer)
    winner = svc.winner_confirm(nomination=nomination, actor=office())
    with pytest.raises(ValidationError) as exc:
        svc.winner_bank_set(winner=winner, bank_name="", account="12ab", actor=office())
    assert set(exc.value.message_dict) == {"bank_name", "account"}
    winner = svc.winner_bank_set(
        winner=winner,
        bank_name="中国银行许昌分行",
        account="6222 0212 3456 7890 123",
        actor=office(),
    )
    assert winner.account_masked == "6222****0123"
    assert "6222021234567890123" not in winner.account_encrypted
    from core.crypto import decrypt

    assert decrypt(winner.account_encrypted) == "6222021234567890123"


def test_bank_account_by_the_nominating_departments_clerk_only(plan):
    cycle, scorer = _reviewing_cycle(plan)
    (nomination,) = bulk_scored_nominations(cycle, grand(), 1, scorer)
    winner = svc.winner_confirm(nomination=nomination, actor=office())
    with pytest.raises(PermissionDenied):
        svc.winner_bank_set(
            winner=winner, bank_name="中国银行", account="6222021234567890123", actor=clerk("jyj")
        )
    svc.winner_bank_set(
        winner=winner, bank_name="中国银行", account="6222021234567890123", actor=clerk("rsj")
    )


def test_give_certificate_helper_level_counts_only_when_issued_before(plan, frozen):
    cycle = open_cycle(plan)
    worker = make_worker()
    give_certificate(worker, 2, issued_on=datetime.date(2014, 9, 11))
    with pytest.raises(RuleViolation, match="无职业资格证书"):
        nominate(cycle, worker, award=grand())


@pytest.mark.parametrize(
    ("name", "masked"), [("张", "张"), ("张三", "张*"), ("张三丰", "张*丰"), ("欧阳建国", "欧**国")]
)
def test_names_are_masked_for_the_public_notice(name, masked):
    assert svc.mask_name(name) == masked


def test_nomination_document_checked_and_stored_under_a_random_name(plan, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    cycle = open_cycle(plan)
    fake = SimpleUploadedFile("张三推荐表.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="推荐材料的内容与扩展名"):
        nominate(cycle, make_worker(level=3), document=fake)
    real = SimpleUploadedFile("张三推荐表.pdf", b"%PDF-1.4\n%", content_type="application/pdf")
    nomination = nominate(cycle, make_worker(level=3), document=real)
    assert nomination.document.name.endswith(".pdf")
    assert "张三" not in nomination.document.name


def test_a_revoked_winner_cannot_be_confirmed_again(plan):
    cycle, scorer = _reviewing_cycle(plan)
    (nomination,) = bulk_scored_nominations(cycle, grand(), 1, scorer)
    winner = svc.winner_confirm(nomination=nomination, actor=office())
    svc.winner_revoke(winner=winner, reason="材料不实", actor=office())
    with pytest.raises(RuleViolation, match="获奖资格已撤销"):
        svc.winner_confirm(nomination=nomination, actor=office())
