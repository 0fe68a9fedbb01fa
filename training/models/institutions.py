"""Designated training institutions (定点培训机构)."""

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

    class Meta:
        ordering = ("name",)
        verbose_name = _("培训机构")
        verbose_name_plural = _("培训机构")

    def __str__(self) -> str:
        return self.name
