"""Public notices: working days, publishing, objections, closing (core/notices.py)."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from core import notices
from core.errors import RuleViolation
from core.models import AuditEvent, NoticeItem, Objection, PublicNotice
from core.notices import (
    NoticeItemInput,
    notice_close,
    notice_end_date,
    notice_publish,
    notices_close_due,
    objection_lodge,
    objection_resolve,
    working_day_after,
)
from core.roles import Role
from core.tests.factories import DepartmentFactory, user_with_role

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2014, 6, 2)
KIND = "test.notice"


class Calls:
    def __init__(self):
        self.closed = []
        self.withheld = []
        self.actors = []

    def on_close(self, notice, cleared, withheld, actor):
        self.closed.append(
            (notice.pk, sorted(o.pk for o in cleared), sorted(o.pk for o in withheld))
        )
        self.actors.append(actor)

    def on_item_withheld(self, obj, objection):
        self.withheld.append((obj.pk, objection.pk))


@pytest.fixture
def calls():
    recorder = Calls()
    notices.register_notice_kind(
        KIND,
        on_close=recorder.on_close,
        on_item_withheld=recorder.on_item_withheld,
        label="测试公示",
        publishers={Role.REVIEWER},
    )
    yield recorder
    notices._KINDS.pop(KIND, None)


@pytest.fixture
def today(settings, monkeypatch):
    """Freeze the campaign clock; returns a setter."""
    state = {"day": MONDAY}
    monkeypatch.setattr(notices.clock, "today", lambda: state["day"])

    def set_day(day):
        state["day"] = day

    return set_day


@pytest.fixture
def reviewer():
    return user_with_role(Role.REVIEWER)


@pytest.fixture
def office():
    return user_with_role(Role.OFFICE)


def _items(*objects):
    return [
        NoticeItemInput(
            obj=obj,
            display_name="张*国",
            id_masked="4110**********123X",
            description=f"焊工 四级 培训补贴 {obj.pk}",
            amount=Decimal("800.005"),
        )
        for obj in objects
    ]


def _publish(reviewer, *objects, days=5, starts_on=MONDAY):
    return notice_publish(
        kind=KIND,
        title="2014年第1批培训补贴公示",
        items=_items(*objects),
        working_days=days,
        actor=reviewer,
        starts_on=starts_on,
    )


# Working days -------------------------------------------------------------------------------


def test_working_day_after_skips_weekends():
    friday = datetime.date(2014, 6, 6)
    assert working_day_after(friday, 0) == friday
    assert working_day_after(friday, 1) == datetime.date(2014, 6, 9)
    assert working_day_after(MONDAY, 4) == friday
    assert working_day_after(datetime.date(2014, 6, 7), 1) == datetime.date(2014, 6, 9)


def test_notice_end_date_counts_start_day_when_working_day():
    assert notice_end_date(MONDAY, 5) == datetime.date(2014, 6, 6)
    assert notice_end_date(MONDAY, 1) == MONDAY
    assert notice_end_date(MONDAY, 6) == datetime.date(2014, 6, 9)
    # Published on a Saturday: the first day is Monday.
    assert notice_end_date(datetime.date(2014, 6, 7), 5) == datetime.date(2014, 6, 13)


def test_notice_end_date_refuses_zero_days():
    with pytest.raises(ValueError, match="at least one"):
        notice_end_date(MONDAY, 0)


# Publishing ---------------------------------------------------------------------------------


def test_publish_creates_notice_items_and_audit(calls, today, reviewer):
    a, b = DepartmentFactory(), DepartmentFactory()
    notice = _publish(reviewer, a, b)
    assert notice.status == PublicNotice.Status.OPEN
    assert notice.ends_on == datetime.date(2014, 6, 6)
    items = list(notice.items.order_by("pk"))
    assert [i.object_id for i in items] == [a.pk, b.pk]
    assert items[0].amount == Decimal("800.01")  # half up
    assert items[0].target == a
    assert AuditEvent.objects.for_object(notice).filter(action="notice.publish").count() == 1


def test_publish_refused_for_wrong_role(calls, today):
    with pytest.raises(PermissionDenied):
        _publish(user_with_role(Role.FINANCE), DepartmentFactory())


def test_publish_refused_when_empty_or_zero_days(calls, today, reviewer):
    with pytest.raises(RuleViolation, match="名单为空"):
        notice_publish(kind=KIND, title="t", items=[], working_days=5, actor=reviewer)
    with pytest.raises(RuleViolation, match="至少为1个工作日"):
        _publish(reviewer, DepartmentFactory(), days=0)


def test_object_on_an_open_notice_cannot_be_published_again(calls, today, reviewer):
    dept = DepartmentFactory()
    _publish(reviewer, dept)
    with pytest.raises(RuleViolation, match="已在公示"):
        _publish(reviewer, dept)
    assert PublicNotice.objects.count() == 1


def test_unregistered_kind_is_an_error(today, reviewer):
    with pytest.raises(LookupError):
        notice_publish(
            kind="nope",
            title="t",
            items=_items(DepartmentFactory()),
            working_days=1,
            actor=reviewer,
        )


# Objections ---------------------------------------------------------------------------------


def test_anyone_may_lodge_while_open_on_last_day(calls, today, reviewer):
    notice = _publish(reviewer, DepartmentFactory())
    today(notice.ends_on)
    objection = objection_lodge(
        notice=notice,
        item=notice.items.first(),
        objector_name="李四",
        objector_phone="13800000000",
        content="此人未参加培训",
        ip="10.0.0.1",
    )
    assert objection.status == Objection.Status.OPEN
    assert objection.ip_address == "10.0.0.1"
    assert AuditEvent.objects.for_object(objection).get().actor is None


def test_lodge_refused_the_day_after_the_period(calls, today, reviewer):
    notice = _publish(reviewer, DepartmentFactory())
    today(notice.ends_on + datetime.timedelta(days=1))
    with pytest.raises(RuleViolation, match="公示期已结束，不再受理异议。"):
        objection_lodge(notice=notice, objector_name="李四", content="有问题")


def test_lodge_validates_name_content_and_phone(calls, today, reviewer):
    notice = _publish(reviewer, DepartmentFactory())
    with pytest.raises(ValidationError) as excinfo:
        objection_lodge(notice=notice, objector_name=" ", objector_phone="123", content="")
    assert set(excinfo.value.message_dict) == {"objector_name", "objector_phone", "content"}
    assert Objection.objects.count() == 0


def test_lodge_refuses_item_of_another_notice(calls, today, reviewer):
    first = _publish(reviewer, DepartmentFactory())
    second = _publish(reviewer, DepartmentFactory())
    with pytest.raises(RuleViolation, match="不在本公示中"):
        objection_lodge(
            notice=first, item=second.items.get(), objector_name="李四", content="有问题"
        )


def test_only_office_resolves_and_needs_resolution(calls, today, reviewer, office):
    notice = _publish(reviewer, DepartmentFactory())
    objection = objection_lodge(notice=notice, objector_name="李四", content="有问题")
    with pytest.raises(PermissionDenied):
        objection_resolve(objection=objection, upheld=False, resolution="查无此事", actor=reviewer)
    with pytest.raises(ValidationError):
        objection_resolve(objection=objection, upheld=False, resolution="  ", actor=office)
    resolved = objection_resolve(
        objection=objection, upheld=False, resolution="查无此事", actor=office
    )
    assert resolved.status == Objection.Status.DISMISSED
    assert resolved.resolved_by == office
    with pytest.raises(RuleViolation, match="已处理"):
        objection_resolve(objection=objection, upheld=True, resolution="x", actor=office)


def test_upholding_a_whole_notice_objection_needs_an_item(calls, today, reviewer, office):
    dept = DepartmentFactory()
    notice = _publish(reviewer, dept)
    objection = objection_lodge(notice=notice, objector_name="李四", content="名单有误")
    with pytest.raises(RuleViolation, match="须指明"):
        objection_resolve(objection=objection, upheld=True, resolution="属实", actor=office)
    item = notice.items.get()
    objection_resolve(objection=objection, upheld=True, resolution="属实", actor=office, item=item)
    assert calls.withheld == [(dept.pk, objection.pk)]


# Closing ------------------------------------------------------------------------------------


def test_close_refused_on_last_day_allowed_the_day_after(calls, today, reviewer):
    notice = _publish(reviewer, DepartmentFactory())
    today(notice.ends_on)
    with pytest.raises(RuleViolation, match="期满后方可结束"):
        notice_close(notice=notice, actor=reviewer)
    today(notice.ends_on + datetime.timedelta(days=1))
    closed = notice_close(notice=notice, actor=reviewer)
    assert closed.status == PublicNotice.Status.CLOSED
    assert closed.closed_at is not None
    # The kind's callback learns who closed it, for the rows it writes in turn.
    assert calls.actors == [reviewer]


def test_close_refused_while_objection_open(calls, today, reviewer):
    notice = _publish(reviewer, DepartmentFactory())
    objection_lodge(notice=notice, objector_name="李四", content="有问题")
    today(notice.ends_on + datetime.timedelta(days=3))
    with pytest.raises(RuleViolation, match="尚有未处理的异议"):
        notice_close(notice=notice)
    assert calls.closed == []


def test_close_marks_cleared_and_withheld_and_calls_back(calls, today, reviewer, office):
    a, b, c = DepartmentFactory(), DepartmentFactory(), DepartmentFactory()
    notice = _publish(reviewer, a, b, c)
    items = {i.object_id: i for i in notice.items.all()}
    upheld = objection_lodge(notice=notice, item=items[b.pk], objector_name="甲", content="冒名")
    dismissed = objection_lodge(notice=notice, item=items[c.pk], objector_name="乙", content="x")
    objection_resolve(objection=upheld, upheld=True, resolution="属实", actor=office)
    objection_resolve(objection=dismissed, upheld=False, resolution="不属实", actor=office)
    today(notice.ends_on + datetime.timedelta(days=1))
    notice_close(notice=notice)
    assert calls.closed == [(notice.pk, sorted([a.pk, c.pk]), [b.pk])]
    outcomes = dict(notice.items.values_list("object_id", "outcome"))
    assert outcomes == {
        a.pk: NoticeItem.Outcome.CLEARED,
        b.pk: NoticeItem.Outcome.WITHHELD,
        c.pk: NoticeItem.Outcome.CLEARED,
    }
    # Idempotent: a second close changes nothing and does not call back again.
    notice_close(notice=notice)
    assert len(calls.closed) == 1
    assert AuditEvent.objects.filter(action="notice.close").count() == 1


def test_close_by_unrelated_role_is_refused(calls, today, reviewer):
    notice = _publish(reviewer, DepartmentFactory())
    today(notice.ends_on + datetime.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        notice_close(notice=notice, actor=user_with_role(Role.FINANCE))


def test_close_due_closes_only_due_notices_and_skips_open_objections(calls, today, reviewer):
    due = _publish(reviewer, DepartmentFactory())
    blocked = _publish(reviewer, DepartmentFactory())
    later = _publish(reviewer, DepartmentFactory(), days=10)
    objection_lodge(notice=blocked, objector_name="李四", content="有问题")
    day_after = due.ends_on + datetime.timedelta(days=1)
    assert notices_close_due(today=day_after) == [due.pk]
    assert notices_close_due(today=day_after) == []
    assert PublicNotice.objects.get(pk=blocked.pk).status == PublicNotice.Status.OPEN
    assert PublicNotice.objects.get(pk=later.pk).status == PublicNotice.Status.OPEN


def test_close_notices_command_and_task(calls, today, reviewer):
    from core.tasks import close_due_notices

    first = _publish(reviewer, DepartmentFactory())
    second = _publish(reviewer, DepartmentFactory())
    objection_lodge(notice=second, objector_name="李四", content="有问题")
    today(first.ends_on + datetime.timedelta(days=1))
    out = StringIO()
    call_command("close_notices", stdout=out)
    assert "1" in out.getvalue()
    assert str(second.pk) in out.getvalue()
    assert PublicNotice.objects.get(pk=first.pk).status == PublicNotice.Status.CLOSED
    assert close_due_notices.delay().get() == []
