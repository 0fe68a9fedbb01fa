"""When a month's return opens, is due, and closes — computed from the campaign's data.

All moments are in the campaign's time zone (Asia/Shanghai, the project's TIME_ZONE). A return for
month M opens at 00:00 on the 1st of M+1, is on time when first submitted by 23:59:59 on the due
day of M+1, and closes after 23:59:59 on the lock day of M+1 unless the office has unlocked it.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def previous_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def parse_month(text: str) -> datetime.date | None:
    """'2014-06' → date(2014, 6, 1); None for anything else."""
    try:
        year, month = text.split("-")
        return datetime.date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass(frozen=True)
class ReturnWindow:
    month: datetime.date
    opens_at: datetime.datetime
    due_at: datetime.datetime  # first instant that is late
    locks_at: datetime.datetime  # first instant that is closed

    @property
    def due_date(self) -> datetime.date:
        return timezone.localdate(self.due_at - datetime.timedelta(seconds=1))

    @property
    def lock_date(self) -> datetime.date:
        return timezone.localdate(self.locks_at - datetime.timedelta(seconds=1))

    def is_open(self, moment: datetime.datetime) -> bool:
        return self.opens_at <= moment < self.locks_at

    def is_late(self, moment: datetime.datetime) -> bool:
        return moment >= self.due_at


def window_for(campaign, month: datetime.date) -> ReturnWindow:
    following = next_month(month)
    return ReturnWindow(
        month=month,
        opens_at=_local_midnight(following),
        due_at=_local_midnight(
            following.replace(day=campaign.due_day) + datetime.timedelta(days=1)
        ),
        locks_at=_local_midnight(
            following.replace(day=campaign.lock_day) + datetime.timedelta(days=1)
        ),
    )


def current_reporting_month(campaign, moment: datetime.datetime) -> datetime.date | None:
    """The month whose return is being collected now: last month, clipped to the campaign's
    reporting months (None before the first one has ended)."""
    months = campaign.reporting_months()
    if not months:
        return None
    candidate = previous_month(timezone.localdate(moment))
    if candidate < months[0]:
        return None
    return min(candidate, months[-1])


def months_due(campaign, moment: datetime.datetime) -> list[datetime.date]:
    """Reporting months that have ended by ``moment`` (their returns are owed)."""
    today = timezone.localdate(moment)
    return [m for m in campaign.reporting_months() if next_month(m) <= today]


@dataclass(frozen=True)
class EditState:
    editable: bool
    reason: str = ""
    code: str = ""


def edit_state(*, window: ReturnWindow, status: str | None, unlocked: bool, moment) -> EditState:
    """Whether a clerk may change a return now, and if not, why (shown on the page)."""
    if moment < window.opens_at:
        return EditState(
            False,
            _("本月尚未结束，%(date)s 起可填报") % {"date": f"{window.opens_at:%Y年%m月%d日}"},
            "not_open",
        )
    if status == "submitted":
        return EditState(False, _("已提交，等待办公室审核"), "submitted")
    if status == "accepted":
        return EditState(False, _("已审核通过；如需修改，请提交更正申请"), "accepted")
    if status == "returned":
        # The office sent it back for revision: that reopens it whatever the date.
        return EditState(True)
    if moment >= window.locks_at and not unlocked:
        return EditState(
            False,
            _("已过锁定日期（%(date)s），如需补报或修改，请联系办公室临时解锁")
            % {"date": f"{window.lock_date:%Y年%m月%d日}"},
            "locked",
        )
    return EditState(True)
