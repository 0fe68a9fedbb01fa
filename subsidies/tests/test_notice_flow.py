"""Approved claims in a public notice (公示): publish, objections, close → ready or refused."""

import datetime

import pytest
from django.urls import reverse

from core.crypto import decrypt
from core.errors import RuleViolation
from core.models import NoticeItem, PublicNotice
from core.notices import notice_close, notices_close_due, objection_lodge, objection_resolve
from core.roles import Role
from core.tests.factories import user_with_role
from subsidies.models import SubsidyClaim
from subsidies.services import claims as claim_svc
from subsidies.services import notices as services
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    OTHER_ACCOUNT,
    frozen,
    media,
    office,
    own,
    reviewer,
)
from subsidies.tests.money import after, approved, published, submitted

pytestmark = pytest.mark.django_db
Status = SubsidyClaim.Status


def test_mask_name():
    assert services.mask_name("张三") == "张*"
    assert services.mask_name("张三丰") == "张*丰"
    assert services.mask_name("欧阳娜娜") == "欧**娜"
    assert services.mask_name("李") == "李"


def test_working_days_come_from_the_plan_file(plan):
    from training.services.plan import DEFAULT_PLAN, read_plan

    assert (
        services.notice_working_days() == read_plan(DEFAULT_PLAN)["subsidy_notice"]["working_days"]
    )


def test_publish_lists_masked_items_for_the_plan_period(plan):
    claim = approved(plan)
    notice = published([claim])
    assert notice.kind == services.NOTICE_KIND
    assert notice.working_days == services.notice_working_days()
    # Monday 2014-03-03 + 5 working days → Friday 2014-03-07.
    assert notice.ends_on == datetime.date(2014, 3, 7)
    item = notice.items.get()
    assert item.display_name == services.mask_name(claim.worker.name)
    assert item.id_masked == claim.worker.id_number_masked
    assert item.amount == claim.amount
    assert item.description == claim.description()
    assert not services.awaiting_publication().filter(pk=claim.pk).exists()


def test_publish_refuses_claims_not_approved(plan):
    claim = submitted(plan)
    with pytest.raises(RuleViolation, match="不在待公示状态"):
        published([claim])
    with pytest.raises(RuleViolation, match="没有待公示"):
        services.claims_notice_publish(title="x", actor=reviewer())


def test_finance_cannot_publish(plan):
    from django.core.exceptions import PermissionDenied

    claim = approved(plan)
    with pytest.raises(PermissionDenied):
        services.claims_notice_publish(
            claim_ids=[claim.pk], title="x", actor=user_with_role(Role.FINANCE)
        )


def test_close_moves_cleared_to_ready_and_withheld_to_refused(plan, time_machine):
    clean, contested = approved(plan), approved(plan)
    notice = published([clean, contested])
    item = notice.items.get(object_id=contested.pk)
    objection = objection_lodge(
        notice=notice, item=item, objector_name="李四", content="此人未参加培训，系冒名"
    )
    objection_resolve(
        objection=objection, upheld=True, resolution="经核查，冒名顶替属实", actor=office()
    )
    after(time_machine, notice)
    notice_close(notice=notice)
    clean.refresh_from_db()
    contested.refresh_from_db()
    assert clean.status == Status.READY
    assert contested.status == Status.REFUSED
    assert "经核查，冒名顶替属实" in contested.decision_reason
    assert "经核查，冒名顶替属实" in contested.status_changes.last().reason
    assert NoticeItem.objects.get(pk=item.pk).outcome == NoticeItem.Outcome.WITHHELD


def test_dismissed_objection_lets_the_claim_through(plan, time_machine):
    claim = approved(plan)
    notice = published([claim])
    objection = objection_lodge(notice=notice, objector_name="李四", content="有疑问")
    objection_resolve(objection=objection, upheld=False, resolution="查无此事", actor=office())
    after(time_machine, notice)
    notice_close(notice=notice)
    claim.refresh_from_db()
    assert claim.status == Status.READY


def test_notice_stays_open_until_objections_resolved(plan, time_machine):
    claim = approved(plan)
    notice = published([claim])
    objection_lodge(notice=notice, objector_name="李四", content="有疑问")
    after(time_machine, notice, days=3)
    assert notices_close_due() == []
    claim.refresh_from_db()
    assert claim.status == Status.IN_NOTICE


def test_beat_job_closes_due_notice(plan, time_machine):
    from core.tasks import close_due_notices

    claim = approved(plan)
    notice = published([claim])
    after(time_machine, notice, days=0)
    assert close_due_notices.delay().get() == []  # last day: still open
    after(time_machine, notice)
    assert close_due_notices.delay().get() == [notice.pk]
    claim.refresh_from_db()
    assert claim.status == Status.READY


def test_account_change_during_notice_sends_back_to_review_and_close_leaves_it(plan, time_machine):
    claim = approved(plan)
    notice = published([claim])
    claim_svc.claim_account_change(
        claim=claim, own_account=own(claim.worker, OTHER_ACCOUNT), actor=claim.worker.user
    )
    after(time_machine, notice)
    notice_close(notice=notice)
    claim.refresh_from_db()
    assert claim.status == Status.UNDER_REVIEW
    assert PublicNotice.objects.get().status == PublicNotice.Status.CLOSED


def test_publish_page_and_public_page_show_masked_data(client, plan):
    claim = approved(plan)
    user = reviewer()
    client.force_login(user)
    url = reverse("subsidies:review_notice_publish")
    page = client.get(url)
    assert page.status_code == 200
    assert claim.number in page.content.decode()
    response = client.post(url, {"title": "", "working_days": 5, "ids": [claim.pk]})
    assert response.status_code == 400
    response = client.post(url, {"title": "补贴公示", "working_days": 5, "ids": [claim.pk]})
    assert response.status_code == 302
    notice = PublicNotice.objects.get()
    client.logout()
    body = client.get(reverse("core:notice_detail", args=[notice.pk])).content.decode()
    assert services.mask_name(claim.worker.name) in body
    assert claim.worker.id_number_masked in body
    assert decrypt(claim.worker.id_number_encrypted) not in body
    if len(claim.worker.name) > 1:
        assert claim.worker.name not in body


def test_office_upholds_objection_on_the_page_and_the_worker_sees_why(client, plan, time_machine):
    claim = approved(plan)
    notice = published([claim])
    item = notice.items.get()
    client.post(
        reverse("core:notice_detail", args=[notice.pk]),
        {"item": item.pk, "objector_name": "李四", "content": "此人培训期间在外地务工"},
    )
    client.force_login(office())
    objection = notice.objections.get()
    prefix = f"o{objection.pk}"
    response = client.post(
        reverse("core:objection_resolve", args=[objection.pk]),
        {f"{prefix}-upheld": "1", f"{prefix}-resolution": "经核查，出勤记录系代签"},
    )
    assert response.status_code == 302
    after(time_machine, notice)
    notice_close(notice=notice)
    client.force_login(claim.worker.user)
    body = client.get(reverse("subsidies:worker_claim", args=[claim.pk])).content.decode()
    assert "不予补贴" in body
    assert "经核查，出勤记录系代签" in body
