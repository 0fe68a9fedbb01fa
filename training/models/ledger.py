"""The target-responsibility ledger (工作台帐) and the leading group's joint meetings (联席会议).

The plan (五、(三)) asks every responsibility target to name its lead unit (主办单位),
assisting units (协办单位), responsible leader (责任领导), deadline (完成时限) and
requirements (工作要求), kept in a work ledger; the leading group holds joint meetings
(五、(一)) whose follow-up tasks join the ledger.

Only the workflow state is stored (``open`` / ``done``). What a person sees — not started, in
progress, done, overdue — is *derived* on a date from the deadline, the stored state and whether a
unit has reported progress (``LedgerTask.state_on``); nothing has to run at midnight to make a task
overdue.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class JointMeeting(BaseModel):
    """One joint meeting (联席会议) of the leading group's member units."""

    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    number = models.PositiveSmallIntegerField(_("会议序号"))
    held_on = models.DateField(_("会议日期"))
    place = models.CharField(_("会议地点"), max_length=128)
    chair = models.CharField(_("主持人"), max_length=64)
    attendee_units = models.ManyToManyField(
        "core.Department",
        verbose_name=_("参会单位"),
        related_name="joint_meetings",
        blank=True,
    )
    attendees_other = models.TextField(_("其他参会人员"), blank=True)
    decisions = models.TextField(_("议定事项"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-held_on", "-number")
        verbose_name = _("联席会议")
        verbose_name_plural = _("联席会议")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "number"], name="joint_meeting_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"第{self.number}次联席会议（{self.held_on:%Y-%m-%d}）"


class LedgerTaskQuerySet(models.QuerySet):
    def open(self) -> "LedgerTaskQuerySet":
        return self.filter(status=LedgerTask.Status.OPEN)

    def overdue_on(self, day: datetime.date) -> "LedgerTaskQuerySet":
        """Open tasks whose deadline passed before ``day`` (the deadline day itself is in time)."""
        return self.filter(status=LedgerTask.Status.OPEN, deadline__lt=day)

    def of_department(self, department) -> "LedgerTaskQuerySet":
        """Tasks the department leads or assists on."""
        if department is None:
            return self.none()
        assisting = LedgerTask.assisting_units.through.objects.filter(
            department_id=department.pk
        ).values("ledgertask_id")
        return self.filter(models.Q(lead_unit=department) | models.Q(pk__in=assisting))


class LedgerTask(BaseModel):
    """One task of the ledger: from the plan itself or from a joint meeting."""

    class Source(models.TextChoices):
        PLAN = "plan", _("实施方案")
        MEETING = "meeting", _("联席会议")

    class Status(models.TextChoices):
        OPEN = "open", _("未完成")
        DONE = "done", _("已完成")

    class State(models.TextChoices):
        """Derived on a date, never stored."""

        NOT_STARTED = "not_started", _("未启动")
        IN_PROGRESS = "in_progress", _("推进中")
        DONE = "done", _("已完成")
        OVERDUE = "overdue", _("已逾期")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.OPEN: frozenset({Status.DONE}),
        Status.DONE: frozenset({Status.OPEN}),
    }

    campaign = models.ForeignKey(
        "training.Campaign", verbose_name=_("专项活动"), on_delete=models.PROTECT
    )
    code = models.CharField(_("任务编号"), max_length=32)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    title = models.CharField(_("工作任务"), max_length=200)
    requirements = models.TextField(_("工作要求"), blank=True)
    lead_unit = models.ForeignKey(
        "core.Department",
        verbose_name=_("主办单位"),
        on_delete=models.PROTECT,
        related_name="led_ledger_tasks",
    )
    assisting_units = models.ManyToManyField(
        "core.Department",
        verbose_name=_("协办单位"),
        related_name="assisted_ledger_tasks",
        blank=True,
    )
    leader = models.CharField(_("责任领导"), max_length=64, blank=True)
    deadline = models.DateField(_("完成时限"))
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    meeting = models.ForeignKey(
        JointMeeting,
        verbose_name=_("联席会议"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认完成人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The latest reported progress (kept by the progress-note service under a row lock), so that
    # the derived state and the lists need no per-row query.
    progress_percent = models.PositiveSmallIntegerField(_("完成进度（%）"), null=True, blank=True)
    last_reported_on = models.DateField(_("最近报告日期"), null=True, blank=True)

    objects = LedgerTaskQuerySet.as_manager()

    class Meta:
        ordering = ("deadline", "sort_order", "code")
        verbose_name = _("台帐任务")
        verbose_name_plural = _("台帐任务")
        indexes = [
            models.Index(
                fields=["campaign", "status", "deadline"], name="ledger_status_deadline_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="ledger_task_unique_code"),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "done"]), name="ledger_task_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(source="plan", meeting__isnull=True)
                    | models.Q(source="meeting", meeting__isnull=False)
                ),
                name="ledger_task_source_matches_meeting",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="open", completed_on__isnull=True)
                    | models.Q(status="done", completed_on__isnull=False)
                ),
                name="ledger_task_done_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(progress_percent__isnull=True)
                | models.Q(progress_percent__lte=100),
                name="ledger_task_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def state_on(self, day: datetime.date) -> "LedgerTask.State":
        if self.status == self.Status.DONE:
            return self.State.DONE
        if self.deadline < day:
            return self.State.OVERDUE
        if self.last_reported_on is not None:
            return self.State.IN_PROGRESS
        return self.State.NOT_STARTED

    def days_overdue(self, day: datetime.date) -> int:
        if self.status == self.Status.DONE or self.deadline >= day:
            return 0
        return (day - self.deadline).days


class LedgerProgressNote(BaseModel):
    """A unit's progress report on a task (lead or assisting unit, for its own tasks only)."""

    task = models.ForeignKey(
        LedgerTask, verbose_name=_("台帐任务"), on_delete=models.CASCADE, related_name="notes"
    )
    department = models.ForeignKey(
        "core.Department", verbose_name=_("报告单位"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_on = models.DateField(_("报告日期"))
    text = models.TextField(_("进展情况"))
    percent = models.PositiveSmallIntegerField(_("完成进度（%）"), null=True, blank=True)

    class Meta:
        ordering = ("-reported_on", "-created_at")
        verbose_name = _("台帐进展")
        verbose_name_plural = _("台帐进展")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True) | models.Q(percent__lte=100),
                name="ledger_note_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task.code} {self.reported_on:%Y-%m-%d}"
