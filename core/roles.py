"""The roles of the system, held as Django groups (created by ``manage.py sync_roles``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "department_clerk", _("责任单位填报员")
    OFFICE = "office", _("领导小组办公室")
    REVIEWER = "reviewer", _("人社审核员")
    FINANCE = "finance", _("财政局")
    INSTITUTION = "institution_staff", _("培训机构人员")
    WORKER = "worker", _("劳动者")
    COMMITTEE = "award_committee", _("评审委员会委员")
    AUDITOR = "auditor", _("上级审计（只读）")


# Roles that work for the city government and see campaign-wide figures.
CITY_WIDE_READERS = frozenset({Role.OFFICE, Role.AUDITOR})


# Django model permissions granted to each role, for the admin and for `user.has_perm`.
# Patterns are "app_label.codename" with fnmatch wildcards. Business rules never rest on these
# alone: every view and service also checks its own predicate (who owns the object).
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.OFFICE: (
        "core.view_*",
        "core.add_department",
        "core.change_department",
        "core.add_county",
        "core.change_county",
        "training.*",
        "appraisal.view_*",
        "subsidies.view_*",
        "awards.*",
        "dashboard.*",
    ),
    Role.AUDITOR: (
        "core.view_*",
        "training.view_*",
        "appraisal.view_*",
        "subsidies.view_*",
        "awards.view_*",
        "dashboard.view_*",
    ),
    Role.CLERK: ("training.view_trainingcategory", "training.view_campaign"),
    Role.REVIEWER: ("training.view_*", "appraisal.*", "subsidies.view_*"),
    Role.FINANCE: ("subsidies.view_*", "awards.view_*"),
    Role.INSTITUTION: ("training.view_institution",),
    Role.WORKER: (),
    Role.COMMITTEE: ("awards.view_*",),
}

# Roles allowed into the Django admin (reference data); the rest use the site's own pages.
ADMIN_ROLES = frozenset({Role.OFFICE})
