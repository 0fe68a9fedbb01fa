"""Writes of the teachers area: an institution's teachers, their further training (进修), the
teachers named on its classes, and the plan's teacher goal (loaded with the plan).

Every function checks permission first, runs in one transaction and writes one audit row.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.models import User
from core.services import audit_record
from training.models import (
    ClassTeacher,
    Institution,
    Teacher,
    TeacherGoal,
    TeacherTraining,
    TrainingClass,
)
from training.permissions import teachers as perms

TEACHER_FIELDS = ("name", "education", "title", "specialty", "honours", "employment", "is_active")
TRAINING_FIELDS = ("course", "provider", "start_date", "end_date", "hours", "certificate")


def _audit_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | list):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _clean_honours(values: Iterable[str]) -> list[str]:
    valid = set(Teacher.Honour.values)
    honours = sorted(set(values))
    unknown = [value for value in honours if value not in valid]
    if unknown:
        raise ValidationError({"honours": _("无效的荣誉称号：%s") % "、".join(unknown)})
    return honours


def _clean_teacher(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(TEACHER_FIELDS)
    if unknown:
        raise ValueError(f"fields that cannot be set here: {sorted(unknown)}")
    values = dict(data)
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise ValidationError({"name": _("请填写教师姓名")})
    if "honours" in values:
        values["honours"] = _clean_honours(values["honours"] or [])
    return values


@transaction.atomic
def teacher_create(*, institution: Institution, data: Mapping[str, Any], actor: User) -> Teacher:
    """Add a teacher to ``institution``. Raises PermissionDenied unless the actor is its staff,
    ValidationError for a blank name or an unknown honour. Writes ``teacher.create``."""
    if not perms.can_manage_teachers(actor, institution):
        raise PermissionDenied
    teacher = Teacher(institution=institution, **_clean_teacher(data))
    teacher.full_clean()
    teacher.save()
    audit_record(
        actor=actor,
        action="teacher.create",
        obj=teacher,
        changes={name: _audit_value(getattr(teacher, name)) for name in TEACHER_FIELDS},
    )
    return teacher


@transaction.atomic
def teacher_update(*, teacher: Teacher, data: Mapping[str, Any], actor: User) -> Teacher:
    """Change a teacher's record (a teacher who left is set inactive, never deleted: classes
    name them). Writes ``teacher.update`` with the fields that changed (nothing when none did)."""
    teacher = Teacher.objects.select_for_update().select_related("institution").get(pk=teacher.pk)
    if not perms.can_manage_teachers(actor, teacher.institution):
        raise PermissionDenied
    changes = {}
    for name, value in _clean_teacher(data).items():
        old = getattr(teacher, name)
        if old != value:
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(teacher, name, value)
    if changes:
        teacher.full_clean()
        teacher.save()
        audit_record(actor=actor, action="teacher.update", obj=teacher, changes=changes)
    return teacher


@transaction.atomic
def teacher_training_add(
    *, teacher: Teacher, data: Mapping[str, Any], actor: User
) -> TeacherTraining:
    """Record a teacher's further training (进修). The dates must be in order and not start in
    the future; hours positive. Writes ``teacher.training_add``."""
    if not perms.can_manage_teachers(actor, teacher.institution):
        raise PermissionDenied
    unknown = set(data) - set(TRAINING_FIELDS)
    if unknown:
        raise ValueError(f"fields that cannot be set here: {sorted(unknown)}")
    record = TeacherTraining(teacher=teacher, **data)
    errors = {}
    if record.start_date and record.end_date and record.end_date < record.start_date:
        errors["end_date"] = _("结束日期不能早于开始日期")
    if record.start_date and record.start_date > clock.today():
        errors["start_date"] = _("开始日期不能晚于今天")
    if errors:
        raise ValidationError(errors)
    record.full_clean()
    record.save()
    audit_record(
        actor=actor,
        action="teacher.training_add",
        obj=teacher,
        changes={name: _audit_value(getattr(record, name)) for name in TRAINING_FIELDS},
    )
    return record


@transaction.atomic
def class_teachers_set(
    *, training_class: TrainingClass, teachers: Iterable[Teacher], actor: User
) -> list[Teacher]:
    """Name the teachers of a class (replacing the previous list). Only the institution's own,
    active teachers may be named; a closed class's teachers are history and stay as they were.
    The class row is locked so two saves do not interleave. Writes ``class.teachers_set`` with
    the names added and removed (nothing when the list is unchanged)."""
    training_class = (
        TrainingClass.objects.select_for_update()
        .select_related("institution")
        .get(pk=training_class.pk)
    )
    if not perms.can_assign_class_teachers(actor, training_class):
        raise PermissionDenied
    if training_class.status == TrainingClass.Status.CLOSED:
        raise ValidationError(_("培训班已结业，不能再修改任课教师"))
    chosen = {teacher.pk: teacher for teacher in teachers}
    foreign = [t.name for t in chosen.values() if t.institution_id != training_class.institution_id]
    if foreign:
        raise ValidationError(_("只能选择本机构的教师：%s") % "、".join(sorted(foreign)))
    inactive = [t.name for t in chosen.values() if not t.is_active]
    if inactive:
        raise ValidationError(_("以下教师已不在岗，不能安排授课：%s") % "、".join(sorted(inactive)))
    current = dict(
        ClassTeacher.objects.filter(training_class=training_class).values_list(
            "teacher_id", "teacher__name"
        )
    )
    added = [pk for pk in chosen if pk not in current]
    removed = [pk for pk in current if pk not in chosen]
    if removed:
        ClassTeacher.objects.filter(training_class=training_class, teacher_id__in=removed).delete()
    ClassTeacher.objects.bulk_create(
        ClassTeacher(training_class=training_class, teacher_id=pk) for pk in added
    )
    if added or removed:
        audit_record(
            actor=actor,
            action="class.teachers_set",
            obj=training_class,
            changes={
                "added": sorted(chosen[pk].name for pk in added),
                "removed": sorted(current[pk] for pk in removed),
            },
        )
    return sorted(chosen.values(), key=lambda t: t.name)


def load_teacher_goals(*, campaign, data: Mapping[str, Any], result) -> None:
    """Plan-file section ``[teacher_goals]``: the bachelor's-degree share goal and its date.
    Idempotent (registered with ``register_plan_section``)."""
    from training.services.plan import upsert

    raw = data.get("teacher_goals")
    if not raw:
        return
    _, created, updated = upsert(
        TeacherGoal,
        {"campaign": campaign},
        {"bachelor_share": Decimal(str(raw["bachelor_share"])), "due_date": raw["due_date"]},
    )
    result.count("teacher_goals", created=created, updated=updated)
