"""Writes of the core app: the audit trail, and people with their roles."""

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from core.faults import fault_point
from core.middleware import client_ip
from core.models import AuditEvent, Department, User
from core.roles import ADMIN_ROLES, Role


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit row. Called by every service inside its own transaction, so the row
    exists exactly when the change it describes was committed."""
    fault_point("audit_record", action=action)  # core/faults.py: inert unless a test injects
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(str(actor) if actor is not None else _("系统"))[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        from_state=from_state,
        to_state=to_state,
        changes=changes or {},
        reason=reason,
        ip_address=client_ip.get(),
    )


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    full_name: str,
    roles: list[Role],
    department: Department | None = None,
    institution=None,
    email: str = "",
    phone: str = "",
    actor: User | None,
) -> User:
    """Create a person with their roles.

    A clerk must belong to a department and institution staff to an institution: a clerk
    without a department could otherwise see nothing or, worse, everything.
    Writes an audit row. Raises PermissionDenied when the actor may not manage users.
    """
    if actor is not None and not (actor.is_superuser or actor.has_role(Role.OFFICE)):
        raise PermissionDenied
    if Role.CLERK in roles and department is None:
        raise ValueError("a department clerk needs a department")
    if Role.INSTITUTION in roles and institution is None:
        raise ValueError("institution staff need an institution")
    user = User(
        username=username,
        full_name=full_name,
        department=department,
        institution=institution,
        email=email,
        phone=phone,
        # Reference data is kept in the admin, by the office only.
        is_staff=any(role in ADMIN_ROLES for role in roles),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=[str(role.value) for role in roles]))
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        changes={"roles": sorted(str(r.value) for r in roles)},
    )
    return user


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create the role groups and set their permissions exactly to ROLE_PERMISSIONS.
    Idempotent; returns the permission count per role."""
    from fnmatch import fnmatchcase

    from django.contrib.auth.models import Permission

    from core.roles import ROLE_PERMISSIONS

    all_permissions = list(Permission.objects.select_related("content_type"))
    summary = {}
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = [
            p
            for p in all_permissions
            if any(
                fnmatchcase(f"{p.content_type.app_label}.{p.codename}", pattern)
                for pattern in patterns
            )
        ]
        group.permissions.set(wanted)
        summary[role.value] = len(wanted)
    return summary


# Every model field that holds a value encrypted with ``core.crypto`` is named ``*_encrypted``.
ENCRYPTED_SUFFIX = "_encrypted"


def encrypted_fields() -> list[tuple[type, list[str]]]:
    """(model, [field names]) for every installed model with encrypted fields."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if f.name.endswith(ENCRYPTED_SUFFIX) and f.get_internal_type() == "TextField"
        ]
        if names:
            found.append((model, names))
    return found


def field_keys_rotate(*, batch_size: int = 1000, actor: User | None) -> dict[str, int]:
    """Re-encrypt every ``*_encrypted`` value under the current ``FIELD_ENCRYPTION_KEY`` (the old
    keys must still be configured to open them). One transaction per model, rows in batches; an
    unreadable value aborts that model's transaction (nothing half-rotated). One audit row per
    model that changed. Returns {"app.Model": values re-encrypted}."""
    from core import crypto

    crypto.reset_keys()
    counts: dict[str, int] = {}
    for model, names in encrypted_fields():
        label = model._meta.label
        rotated = 0
        with transaction.atomic():
            batch = []
            for obj in model.objects.only("pk", *names).order_by("pk").iterator(batch_size):
                for name in names:
                    value = getattr(obj, name)
                    if value:
                        setattr(obj, name, crypto.rotate(value))
                        rotated += 1
                batch.append(obj)
                if len(batch) >= batch_size:
                    model.objects.bulk_update(batch, names)
                    batch = []
            if batch:
                model.objects.bulk_update(batch, names)
            if rotated:
                audit_record(
                    actor=actor,
                    action="crypto.rotate",
                    obj=None,
                    changes={"model": label, "values": rotated},
                    reason="",
                )
        counts[label] = rotated
    return counts
