"""The "1688" building programme (1688建设工程): by the end of 2014 one technician college,
six county technical schools (skills-training centres), eight public training bases and eighty
employment-training service centres (plan 四、(三)). The targets are plan data
(``FacilityTarget``); each facility is a record that moves planned → under construction →
completed → accepted, with the date of every step and evidence files.

Progress against a target counts the facilities that are *completed or accepted*: a building that
is finished counts even while acceptance is pending (see ``training.selectors.facilities``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class FacilityKind(models.TextChoices):
    TECHNICIAN_COLLEGE = "technician_college", _("技师学院")
    COUNTY_SCHOOL = "county_school", _("县办技工学校（技能培训中心）")
    TRAINING_BASE = "training_base", _("公共实训基地")
    SERVICE_CENTRE = "service_centre", _("就业培训服务中心")


class FacilityTarget(BaseModel):
    """One of the four build targets of the programme."""

    Kind = FacilityKind

    campaign = models.ForeignKey(
        "training.Campaign",
        verbose_name=_("专项活动"),
        on_delete=models.CASCADE,
        related_name="facility_targets",
    )
    kind = models.CharField(_("类型"), max_length=32, choices=FacilityKind.choices)
    figure = models.PositiveIntegerField(_("目标数（所）"))
    due_date = models.DateField(_("建成时限"))
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("牵头单位"),
        on_delete=models.PROTECT,
        related_name="facility_targets",
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ("campaign", "sort_order")
        verbose_name = _("1688工程目标")
        verbose_name_plural = _("1688工程目标")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind"], name="facility_target_unique_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "technician_college",
                        "county_school",
                        "training_base",
                        "service_centre",
                    ]
                ),
                name="facility_target_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(figure__gt=0), name="facility_target_figure_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.figure}所"


class Facility(BaseModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("规划中")
        UNDER_CONSTRUCTION = "under_construction", _("在建")
        COMPLETED = "completed", _("已建成")
        ACCEPTED = "accepted", _("已验收")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PLANNED: frozenset({Status.UNDER_CONSTRUCTION}),
        Status.UNDER_CONSTRUCTION: frozenset({Status.COMPLETED}),
        Status.COMPLETED: frozenset({Status.ACCEPTED}),
        Status.ACCEPTED: frozenset(),
    }
    # The statuses that count towards the target.
    COUNTED = frozenset({Status.COMPLETED, Status.ACCEPTED})
    # The date field each status records.
    DATE_FIELDS: dict[str, str] = {
        Status.PLANNED: "planned_on",
        Status.UNDER_CONSTRUCTION: "construction_started_on",
        Status.COMPLETED: "completed_on",
        Status.ACCEPTED: "accepted_on",
    }

    target = models.ForeignKey(
        FacilityTarget,
        verbose_name=_("工程目标"),
        on_delete=models.PROTECT,
        related_name="facilities",
    )
    name = models.CharField(_("名称"), max_length=128)
    county = models.ForeignKey(
        "core.County", verbose_name=_("县（市、区）"), on_delete=models.PROTECT
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=32, choices=Status.choices, default=Status.PLANNED
    )
    planned_on = models.DateField(_("立项日期"))
    construction_started_on = models.DateField(_("开工日期"), null=True, blank=True)
    completed_on = models.DateField(_("建成日期"), null=True, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        ordering = ("target__sort_order", "county__sort_order", "name")
        verbose_name = _("1688工程项目")
        verbose_name_plural = _("1688工程项目")
        constraints = [
            models.UniqueConstraint(fields=["target", "name"], name="facility_unique_name"),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["planned", "under_construction", "completed", "accepted"]
                ),
                name="facility_status_valid",
            ),
            # Each step's date is recorded exactly when the status has reached that step.
            models.CheckConstraint(
                condition=(
                    models.Q(status="planned", construction_started_on__isnull=True)
                    | models.Q(~models.Q(status="planned"), construction_started_on__isnull=False)
                ),
                name="facility_started_date_matches_status",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status__in=["planned", "under_construction"], completed_on__isnull=True
                    )
                    | models.Q(status__in=["completed", "accepted"], completed_on__isnull=False)
                ),
                name="facility_completed_date_matches_status",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(~models.Q(status="accepted"), accepted_on__isnull=True)
                    | models.Q(status="accepted", accepted_on__isnull=False)
                ),
                name="facility_accepted_date_matches_status",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(construction_started_on__isnull=True)
                    | models.Q(construction_started_on__gte=models.F("planned_on"))
                ),
                name="facility_started_after_planned",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(completed_on__isnull=True)
                    | models.Q(completed_on__gte=models.F("construction_started_on"))
                ),
                name="facility_completed_after_started",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(accepted_on__isnull=True)
                    | models.Q(accepted_on__gte=models.F("completed_on"))
                ),
                name="facility_accepted_after_completed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def counted(self) -> bool:
        return self.status in self.COUNTED


class FacilityEvidence(BaseModel):
    """A file proving a step (开工证明, 竣工验收报告, 照片…)."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("工程项目"), on_delete=models.CASCADE, related_name="evidence"
    )
    status = models.CharField(_("对应状态"), max_length=32, choices=Facility.Status.choices)
    file = models.FileField(_("证明材料"), upload_to="facilities/evidence/")
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("facility", "created_at")
        verbose_name = _("1688工程证明材料")
        verbose_name_plural = _("1688工程证明材料")

    def __str__(self) -> str:
        return self.description or self.file.name
