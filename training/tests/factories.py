"""Factories and helpers for training tests. Most tests use the real plan (the ``plan`` fixture)."""

from core.models import Department
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import FIGURE_FIELDS, TrainingCategory
from training.services.returns import LineInput


def clerk_of(code: str, **kwargs):
    return user_with_role(Role.CLERK, department=Department.objects.get(code=code), **kwargs)


def lines_for(campaign, department_code: str, **figures) -> list[LineInput]:
    """One LineInput per category of the department, each with ``figures`` (default zeros)."""
    values = {name: figures.get(name, 0) for name in FIGURE_FIELDS}
    return [
        LineInput(category_id=c.pk, figures=dict(values))
        for c in TrainingCategory.objects.filter(
            campaign=campaign, department__code=department_code
        )
    ]
