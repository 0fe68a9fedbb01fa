"""Enterprise employee-education funds (职工教育经费).

The plan (五(二) 加大资金投入): enterprises set aside 1.5%–2.5% of their payroll
(按企业职工工资总额的1.5%—2.5%足额提取职工教育经费); for enterprises above scale that did no
training, the local tax office collects 60% of what they should have set aside
(由地税部门按应提取职工教育经费的60%统一征收).
The figures are data (``EducationFundRule``, from the plan file).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

# GB 32100-2015 统一社会信用代码: 18 characters over this 31-character alphabet (no I, O, S, V, Z).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
CENT = Decimal("0.01")


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code: 31 − (Σ value × 3^i mod 31) mod 31."""
    total = sum(
        CREDIT_CODE_CHARS.index(char) * weight
        for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def normalize_credit_code(value: object) -> str:
    return str(value or "").strip().upper()


def validate_credit_code(value: object) -> None:
    """A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, each from
    the code's alphabet, with a correct check character. Raises ``ValidationError`` in Chinese."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位（当前%(n)s位）"), code="length", params={"n": len(code)}
        )
    bad = sorted({char for char in code if char not in CREDIT_CODE_CHARS})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有无效字符：%(chars)s（不使用I、O、S、V、Z）"),
            code="chars",
            params={"chars": "、".join(bad)},
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对"), code="check")


class EducationFundRule(BaseModel):
    """The campaign's education-fund figures, from the plan file's ``[education_fund]``."""

    campaign = models.OneToOneField(
        "training.Campaign", on_delete=models.CASCADE, related_name="education_fund_rule"
    )
    min_rate = models.DecimalField(_("最低提取比例"), max_digits=5, decimal_places=4)
    max_rate = models.DecimalField(_("最高提取比例"), max_digits=5, decimal_places=4)
    collection_share = models.DecimalField(
        _("统一征收比例"), max_digits=5, decimal_places=4, help_text=_("占应提取经费的比例")
    )

    class Meta:
        verbose_name = _("职工教育经费规则")
        verbose_name_plural = _("职工教育经费规则")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    min_rate__gt=0, max_rate__lt=1, min_rate__lte=models.F("max_rate")
                ),
                name="fund_rule_rates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(collection_share__gt=0, collection_share__lte=1),
                name="fund_rule_share_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} 职工教育经费规则"


class Enterprise(BaseModel):
    name = models.CharField(_("企业名称"), max_length=128)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    county = models.ForeignKey(
        "core.County",
        verbose_name=_("所在县（市、区）"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("主管部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    above_scale = models.BooleanField(_("规模以上企业"), default=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self) -> str:
        return self.name


def fund_due(
    *,
    payroll: Decimal,
    above_scale: bool,
    did_training: bool,
    min_rate: Decimal,
    collection_share: Decimal,
) -> Decimal:
    """The amount due for collection (应征收金额), yuan, ROUND_HALF_UP to 0.01.

    Only an enterprise above scale that did no training owes it. The base is what it SHOULD
    have set aside, taken at the plan's minimum rate (``min_rate``, 1.5%), not the rate it
    declared: the obligation is the minimum, a higher declared rate is voluntary, and an
    enterprise that set nothing aside declares no rate at all. So:
    payroll × min_rate × collection_share, rounded once at the end.
    """
    if not above_scale or did_training:
        return Decimal("0.00")
    return (payroll * min_rate * collection_share).quantize(CENT, rounding=ROUND_HALF_UP)


class EducationFundReturn(BaseModel):
    """One enterprise's education-fund return for one year.

    The rule's rates and share are copied onto the row when it is saved, so that the DB checks
    the declared rate against the plan's range (a CheckConstraint cannot read another table) and
    a return keeps the figures it was computed with. ``set_aside`` and ``due`` are derived by
    the service (``fund_return_save``) and stored so that totals and the tax list are plain sums.
    """

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="fund_returns"
    )
    campaign = models.ForeignKey("training.Campaign", on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    payroll = models.DecimalField(_("职工工资总额（元）"), max_digits=16, decimal_places=2)
    # None: the enterprise set nothing aside (未提取).
    rate = models.DecimalField(_("提取比例"), max_digits=5, decimal_places=4, null=True, blank=True)
    set_aside = models.DecimalField(_("已提取经费（元）"), max_digits=16, decimal_places=2)
    spent_on_training = models.DecimalField(
        _("培训支出（元）"), max_digits=16, decimal_places=2, default=Decimal("0.00")
    )
    did_training = models.BooleanField(_("开展职工培训"))
    should_set_aside = models.DecimalField(_("应提取经费（元）"), max_digits=16, decimal_places=2)
    due = models.DecimalField(_("应征收金额（元）"), max_digits=16, decimal_places=2)
    min_rate = models.DecimalField(_("最低提取比例"), max_digits=5, decimal_places=4)
    max_rate = models.DecimalField(_("最高提取比例"), max_digits=5, decimal_places=4)
    collection_share = models.DecimalField(_("统一征收比例"), max_digits=5, decimal_places=4)
    above_scale = models.BooleanField(_("规模以上企业"))

    class Meta:
        ordering = ("-year", "enterprise__name")
        verbose_name = _("职工教育经费申报")
        verbose_name_plural = _("职工教育经费申报")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="fund_return_once_a_year"),
            models.CheckConstraint(
                condition=models.Q(rate__isnull=True)
                | models.Q(rate__gte=models.F("min_rate"), rate__lte=models.F("max_rate")),
                name="fund_return_rate_within_rule",
            ),
            models.CheckConstraint(
                condition=models.Q(payroll__gt=0), name="fund_return_payroll_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(spent_on_training__gte=0, set_aside__gte=0, due__gte=0),
                name="fund_return_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}年"

    @property
    def rate_percent(self) -> Decimal | None:
        """The declared rate as a percentage (0.0150 → 1.50), None when nothing was set aside."""
        return None if self.rate is None else self.rate * 100
