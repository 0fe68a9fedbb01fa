"""The occupation catalogue (职业/工种), shared by classes, programmes, orders, appraisal and
subsidies. It lives in training (upstream of appraisal) so every app can refer to it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Occupation(BaseModel):
    code = models.CharField(_("职业编码"), max_length=16, unique=True)
    name = models.CharField(_("职业（工种）"), max_length=64, unique=True)
    # 急需紧缺职业（工种）: maintained by the office; drives the 2,000-yuan high-skill subsidy.
    is_shortage = models.BooleanField(_("急需紧缺"), default=False)

    class Meta:
        ordering = ("code",)
        verbose_name = _("职业（工种）")
        verbose_name_plural = _("职业（工种）")

    def __str__(self) -> str:
        return self.name
