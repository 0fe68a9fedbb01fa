"""Enterprise skilled-talent evaluation pilots (企业技能人才评价试点), their "四个一" checklist and
evaluations, the "双一" exceptions (破格 / 越级) that 人社 approves, and employment-access
inspections (就业准入执法检查).

Who acts for a pilot enterprise: the staff (Role.INSTITUTION) of the enterprise's own training
institution (``PilotEnterprise.institution``, an ``Institution`` of kind 企业培训机构), or the
leading-group office on its behalf. There is no enterprise role; an enterprise without a training
institution is served by the office.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from appraisal.models.appraisal import Level
from core.models import BaseModel


def _checklist_upload_to(instance: "PilotChecklistItem", filename: str) -> str:
    # The service has already replaced the uploader's file name with a random token.
    return f"pilots/{instance.pilot_id}/{filename}"


class PilotEnterprise(BaseModel):
    """An enterprise the city chose to evaluate its own skilled workers."""

    class SizeClass(models.TextChoices):
        LARGE_STATE = "large_state", _("国有大中型企业")
        SME = "sme", _("中小型企业")

    # The plan: large and medium state firms evaluate 技师 and 高级技师, SMEs evaluate 高级工.
    # Evaluations copy the size class, and a DB constraint holds them to these levels.
    SIZE_LEVELS: dict[str, tuple[int, ...]] = {
        SizeClass.LARGE_STATE: (Level(2), Level(1)),
        SizeClass.SME: (Level(3),),
    }

    name = models.CharField(_("企业名称"), max_length=128, unique=True)
    county = models.ForeignKey(
        "core.County", verbose_name=_("所在县（市、区）"), on_delete=models.PROTECT
    )
    size_class = models.CharField(_("企业规模"), max_length=16, choices=SizeClass.choices)
    institution = models.ForeignKey(
        "training.Institution",
        verbose_name=_("企业培训机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pilot_enterprises",
        help_text=_("该机构的人员代表企业上传“四个一”材料、录入评价结果、提出“双一”申请"),
    )
    occupations = models.ManyToManyField(
        "training.Occupation", verbose_name=_("评价职业（工种）"), related_name="+"
    )
    contact_person = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    designated_on = models.DateField(_("确定为试点日期"))
    # The day the last of the four "四个一" items was in place; empty until all four are.
    ready_on = models.DateField(_("“四个一”完备日期"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ("county__sort_order", "name")
        verbose_name = _("评价试点企业")
        verbose_name_plural = _("评价试点企业")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size_class__in=["large_state", "sme"]),
                name="pilot_size_class_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def levels(self) -> tuple[int, ...]:
        return self.SIZE_LEVELS[self.size_class]

    @property
    def level_labels(self) -> str:
        return "、".join(str(Level(level).label) for level in self.levels)


class PilotChecklistItem(BaseModel):
    """One of the "四个一": a document and the date it took effect."""

    class Item(models.TextChoices):
        PLAN = "plan", _("实施方案")
        COMMITTEE = "committee", _("考核工作委员会")
        METHOD = "method", _("标准化考评方式")
        QUALITY = "quality", _("质量控制系统")

    pilot = models.ForeignKey(
        PilotEnterprise,
        verbose_name=_("试点企业"),
        on_delete=models.CASCADE,
        related_name="checklist",
    )
    item = models.CharField(_("项目"), max_length=16, choices=Item.choices)
    document = models.FileField(_("材料"), upload_to=_checklist_upload_to, max_length=255)
    effective_on = models.DateField(_("制定（成立）日期"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("pilot", "item")
        verbose_name = _("“四个一”材料")
        verbose_name_plural = _("“四个一”材料")
        constraints = [
            models.UniqueConstraint(fields=["pilot", "item"], name="pilot_checklist_item_once"),
            models.CheckConstraint(
                condition=models.Q(item__in=["plan", "committee", "method", "quality"]),
                name="pilot_checklist_item_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pilot} · {self.get_item_display()}"


class DualOneException(BaseModel):
    """A "双一" (一线岗位、一流业绩) candidate's request to be evaluated out of turn (破格) or to
    skip a level (越级), with a written justification that 人社 approves or refuses.

    An approved exception lets the worker's registration or pilot evaluation for exactly this
    occupation and level pass the level rule. Who asked never decides (a DB constraint too).
    """

    class Kind(models.TextChoices):
        OUT_OF_TURN = "out_of_turn", _("破格")
        SKIP_LEVEL = "skip_level", _("越级")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("未批准")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.APPROVED, Status.REFUSED}),
        Status.APPROVED: frozenset(),
        Status.REFUSED: frozenset(),
    }
    # "双一" serves high-skilled evaluation: 高级工, 技师, 高级技师.
    LEVELS: tuple[int, ...] = (Level(3), Level(2), Level(1))

    pilot = models.ForeignKey(
        PilotEnterprise,
        verbose_name=_("试点企业"),
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("劳动者"),
        on_delete=models.PROTECT,
        related_name="dual_one_exceptions",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("申报等级"), choices=Level.choices)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    front_line_post = models.CharField(_("一线岗位"), max_length=128)
    performance = models.TextField(_("一流业绩"))
    justification = models.TextField(_("书面理由"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        ordering = ("-requested_at", "-id")
        verbose_name = _("“双一”破格/越级申请")
        verbose_name_plural = _("“双一”破格/越级申请")
        indexes = [
            models.Index(fields=["worker", "occupation", "level"], name="exception_lookup_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["out_of_turn", "skip_level"]),
                name="exception_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "refused"]),
                name="exception_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=[3, 2, 1]), name="exception_high_skilled_level"
            ),
            # Maker-checker: whoever asked never approves or refuses it.
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requested_by")),
                name="exception_decider_not_requester",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                    | models.Q(
                        status__in=["approved", "refused"],
                        decided_by__isnull=False,
                        decided_at__isnull=False,
                    )
                ),
                name="exception_decision_consistent",
            ),
            # One live request per person, occupation and level: asking twice, or asking again
            # once approved, is refused; after a refusal a new, better-argued request may follow.
            models.UniqueConstraint(
                fields=["worker", "occupation", "level"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="exception_one_live_per_worker_level",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.worker.name} {self.occupation.name}{self.get_level_display()}"
            f"（{self.get_kind_display()}）"
        )


class EnterpriseEvaluation(BaseModel):
    """One worker evaluated by a pilot enterprise at one level; a pass carries its certificate."""

    class Result(models.TextChoices):
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")

    pilot = models.ForeignKey(
        PilotEnterprise,
        verbose_name=_("试点企业"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    worker = models.ForeignKey(
        "training.Worker",
        verbose_name=_("劳动者"),
        on_delete=models.PROTECT,
        related_name="enterprise_evaluations",
    )
    occupation = models.ForeignKey(
        "training.Occupation",
        verbose_name=_("职业（工种）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    # Copied from the enterprise when evaluated: the level range is judged by the size class of
    # that day, and the copy lets the database hold every evaluation to it.
    size_class = models.CharField(
        _("企业规模"), max_length=16, choices=PilotEnterprise.SizeClass.choices
    )
    result = models.CharField(_("评价结果"), max_length=16, choices=Result.choices)
    # As declared, for the level rule's years-in-the-trade requirement.
    years_in_trade = models.PositiveSmallIntegerField(_("本职业工作年限"), default=0)
    evaluated_on = models.DateField(_("评价日期"))
    exception = models.ForeignKey(
        DualOneException,
        verbose_name=_("“双一”破格/越级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
    )
    certificate = models.OneToOneField(
        "appraisal.Certificate",
        verbose_name=_("证书"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprise_evaluation",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-evaluated_on", "-id")
        verbose_name = _("企业评价")
        verbose_name_plural = _("企业评价")
        indexes = [models.Index(fields=["pilot", "evaluated_on"], name="evaluation_pilot_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result__in=["passed", "failed"]),
                name="evaluation_result_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(size_class="large_state", level__in=[2, 1])
                    | models.Q(size_class="sme", level=3)
                ),
                name="evaluation_level_within_size_class",
            ),
            # A pass and its certificate are written together; a failure has none.
            models.CheckConstraint(
                condition=(
                    models.Q(result="passed", certificate__isnull=False)
                    | models.Q(result="failed", certificate__isnull=True)
                ),
                name="evaluation_pass_has_certificate",
            ),
            models.UniqueConstraint(
                fields=["worker", "occupation", "level"],
                condition=models.Q(result="passed"),
                name="evaluation_one_pass_per_worker_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pilot} · {self.worker.name} {self.get_level_display()}"


class EmploymentInspection(BaseModel):
    """An inspection of an employer's technical posts for uncertified workers (就业准入).

    Violations found set a deadline by which those workers must be trained and certified; a
    follow-up records whether they were. An open inspection past its deadline is *overdue* — a
    fact of the calendar (``core.clock.today()``), not a stored status, so nobody has to run a job
    for it to be true.
    """

    class Status(models.TextChoices):
        COMPLIANT = "compliant", _("未发现违规")
        OPEN = "open", _("限期整改中")
        RECTIFIED = "rectified", _("已整改")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.COMPLIANT: frozenset(),
        Status.OPEN: frozenset({Status.RECTIFIED}),
        Status.RECTIFIED: frozenset(),
    }

    employer = models.CharField(_("用人单位"), max_length=128)
    county = models.ForeignKey(
        "core.County", verbose_name=_("县（市、区）"), on_delete=models.PROTECT
    )
    inspected_on = models.DateField(_("检查日期"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    posts_checked = models.CharField(_("检查的技术工种岗位"), max_length=255)
    workers_checked = models.PositiveIntegerField(_("检查岗位人数"))
    uncertified_found = models.PositiveIntegerField(_("未持证上岗人数"))
    violations = models.TextField(_("违规情况"), blank=True)
    deadline = models.DateField(_("限期培训取证日期"), null=True, blank=True)
    status = models.CharField(_("整改状态"), max_length=16, choices=Status.choices)
    followed_up_on = models.DateField(_("复查日期"), null=True, blank=True)
    follow_up_note = models.TextField(_("复查情况"), blank=True)

    class Meta:
        ordering = ("-inspected_on", "-id")
        verbose_name = _("就业准入检查")
        verbose_name_plural = _("就业准入检查")
        indexes = [
            models.Index(fields=["status", "deadline"], name="employment_insp_due_idx"),
            models.Index(fields=["county", "inspected_on"], name="employment_insp_county_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["compliant", "open", "rectified"]),
                name="employment_insp_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(uncertified_found__lte=models.F("workers_checked")),
                name="employment_insp_found_within_checked",
            ),
            # Nothing found: compliant, no deadline. Something found: a violation text and a
            # deadline after the inspection day, open until rectified.
            models.CheckConstraint(
                condition=(
                    models.Q(uncertified_found=0, status="compliant", deadline__isnull=True)
                    | (
                        models.Q(
                            uncertified_found__gt=0,
                            status__in=["open", "rectified"],
                            # NULL > date is unknown, which a CHECK lets through: say it.
                            deadline__isnull=False,
                            deadline__gt=models.F("inspected_on"),
                        )
                        & ~models.Q(violations="")
                    )
                ),
                name="employment_insp_violation_has_deadline",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rectified") | models.Q(followed_up_on__isnull=False),
                name="employment_insp_rectified_followed_up",
            ),
            models.CheckConstraint(
                condition=models.Q(followed_up_on__isnull=True)
                | models.Q(followed_up_on__gte=models.F("inspected_on")),
                name="employment_insp_follow_up_after_inspection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employer}（{self.inspected_on:%Y-%m-%d}）"

    def is_overdue(self, today) -> bool:
        """Open and past its deadline on ``today`` (the deadline day itself is still in time)."""
        return (
            self.status == self.Status.OPEN and self.deadline is not None and today > self.deadline
        )
