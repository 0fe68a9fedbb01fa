"""Designated training institutions (定点培训机构), their programmes, annual assessment and exit,
and the registration points (报名点) where workers sign up."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Institution(BaseModel):
    class Kind(models.TextChoices):
        TECHNICAL_SCHOOL = "technical_school", _("技工院校")
        HIGHER_VOCATIONAL = "higher_vocational", _("高等职业院校")
        SECONDARY_VOCATIONAL = "secondary_vocational", _("中等职业学校")
        PRIVATE = "private", _("民办培训机构")
        ENTERPRISE = "enterprise", _("企业培训机构")

    class Designation(models.TextChoices):
        DESIGNATED = "designated", _("定点")
        WARNED = "warned", _("警告")
        REVOKED = "revoked", _("已取消定点资格")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Designation.DESIGNATED: frozenset({Designation.WARNED, Designation.REVOKED}),
        Designation.WARNED: frozenset({Designation.DESIGNATED, Designation.REVOKED}),
        Designation.REVOKED: frozenset({Designation.DESIGNATED}),
    }

    name = models.CharField(_("机构名称"), max_length=128, unique=True)
    kind = models.CharField(_("机构类型"), max_length=32, choices=Kind.choices)
    county = models.ForeignKey(
        "core.County",
        verbose_name=_("所在县（市、区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    contact_person = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    # 基本帐户: entrusted subsidies are paid only here, never to an account typed into a claim.
    bank_name = models.CharField(_("开户银行"), max_length=128, blank=True)
    bank_account_name = models.CharField(_("账户名称"), max_length=128, blank=True)
    bank_account_encrypted = models.TextField(_("基本账户（密文）"), blank=True, editable=False)
    bank_account_masked = models.CharField(_("基本账户"), max_length=32, blank=True, editable=False)
    designation = models.CharField(
        _("定点资格"), max_length=16, choices=Designation.choices, default=Designation.DESIGNATED
    )
    designated_on = models.DateField(_("认定日期"), null=True, blank=True)
    plaque_granted_on = models.DateField(
        _("授牌日期"), null=True, blank=True, help_text=_("许昌市全民技能提升工程培训基地")
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("培训机构")
        verbose_name_plural = _("培训机构")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(designation__in=["designated", "warned", "revoked"]),
                name="institution_designation_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def may_open_classes(self) -> bool:
        return self.designation != self.Designation.REVOKED


class Programme(BaseModel):
    """A programme an institution offers (for the handbook): who it serves, how long, what."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("培训机构"), on_delete=models.CASCADE, related_name="programmes"
    )
    name = models.CharField(_("培训项目"), max_length=128)
    occupation = models.ForeignKey(
        "training.Occupation", verbose_name=_("职业（工种）"), on_delete=models.PROTECT
    )
    target_groups = models.CharField(_("培训对象"), max_length=255, blank=True)
    duration_days = models.PositiveSmallIntegerField(_("培训天数"))
    content = models.TextField(_("培训内容"), blank=True)

    class Meta:
        ordering = ("institution", "name")
        verbose_name = _("培训项目")
        verbose_name_plural = _("培训项目")
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="programme_unique_name"),
            models.CheckConstraint(
                condition=models.Q(duration_days__gt=0), name="programme_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} · {self.name}"


class DesignationChange(BaseModel):
    """History of an institution's designation (定点 → 警告 → 取消 …)."""

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("培训机构"),
        on_delete=models.CASCADE,
        related_name="designation_changes",
    )
    from_status = models.CharField(_("原状态"), max_length=16)
    to_status = models.CharField(_("新状态"), max_length=16)
    reason = models.TextField(_("理由"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("定点资格变更")
        verbose_name_plural = _("定点资格变更")

    def __str__(self) -> str:
        return f"{self.institution}: {self.from_status} → {self.to_status}"


class InstitutionViolation(BaseModel):
    """A recorded breach of the training rules (违规), which feeds the annual assessment."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("培训机构"), on_delete=models.PROTECT, related_name="violations"
    )
    occurred_on = models.DateField(_("发生日期"))
    description = models.TextField(_("违规情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ("-occurred_on",)
        verbose_name = _("违规记录")
        verbose_name_plural = _("违规记录")

    def __str__(self) -> str:
        return f"{self.institution} {self.occurred_on}"


class InstitutionAssessment(BaseModel):
    """One institution's annual assessment (年度考核), with the exit proposal it leads to."""

    class Proposal(models.TextChoices):
        KEEP = "keep", _("保留定点资格")
        REVOKE = "revoke", _("建议取消定点资格")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DISMISSED = "dismissed", _("不予取消")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PROPOSED: frozenset({Status.CONFIRMED, Status.DISMISSED}),
        Status.CONFIRMED: frozenset(),
        Status.DISMISSED: frozenset(),
    }

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("培训机构"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    year = models.PositiveSmallIntegerField(_("考核年度"))
    classes_run = models.PositiveIntegerField(_("开班数"), default=0)
    trainees = models.PositiveIntegerField(_("培训人数"), default=0)
    passed = models.PositiveIntegerField(_("合格人数"), default=0)
    pass_rate = models.DecimalField(
        _("培训合格率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    attendance_compliant = models.PositiveIntegerField(_("到课率达标人数"), default=0)
    inspections_done = models.PositiveIntegerField(_("完成抽查次数"), default=0)
    inspection_findings = models.PositiveIntegerField(_("抽查发现问题次数"), default=0)
    violations = models.PositiveIntegerField(_("违规记录数"), default=0)
    proposal = models.CharField(_("考核结论"), max_length=16, choices=Proposal.choices)
    reasons = models.JSONField(_("依据"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decision_reason = models.TextField(_("确认意见"), blank=True)

    class Meta:
        ordering = ("-year", "institution__name")
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "year"], name="assessment_one_per_institution_year"
            ),
            models.CheckConstraint(
                condition=models.Q(passed__lte=models.F("trainees")),
                name="assessment_passed_within_trainees",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.year}年度考核"


class RegistrationPoint(BaseModel):
    """A place where workers register for training and appraisal (报名点)."""

    class Level(models.TextChoices):
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")
        TOWNSHIP = "township", _("乡（镇）级")
        VILLAGE = "village", _("村级")
        INSTITUTION = "institution", _("定点培训机构")

    name = models.CharField(_("名称"), max_length=128)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    county = models.ForeignKey(
        "core.County",
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("所属培训机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registration_points",
    )
    address = models.CharField(_("地址"), max_length=255)
    phone = models.CharField(_("咨询电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ("county__sort_order", "level", "name")
        verbose_name = _("报名点")
        verbose_name_plural = _("报名点")
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="point_unique_name_in_county"),
            models.CheckConstraint(
                condition=~models.Q(level="institution") | models.Q(institution__isnull=False),
                name="point_institution_level_needs_institution",
            ),
        ]

    def __str__(self) -> str:
        return self.name
