"""Showing a full resident ID or bank account number to a role allowed to see it.

Everywhere else these numbers are masked. A role allowed to see one full number asks for it on a
page that needs a reason; each reveal writes one audit row (who, which record, which field, why,
from where) and the page is never cached.

Apps register what may be revealed, from their ``AppConfig.ready``::

    from core.reveal import register_revealable

    register_revealable(
        "training.worker.id_number",
        label="身份证号码",
        model="training.Worker",
        ciphertext_field="id_number_encrypted",
        roles={Role.OFFICE, Role.REVIEWER},
        queryset=lambda user: Worker.objects.all(),   # the user's scope (a selector)
    )

Pages link to a reveal with ``{% load reveal %}{% reveal_url "training.worker.id_number" obj %}``,
which gives "" to a role that may not reveal (so the template shows no link). The link carries a
signed token naming (kind, pk): a tampered or foreign token is a 404.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.urls import reverse

from core import crypto
from core.roles import Role

SALT = "core.reveal"


@dataclass(frozen=True)
class Revealable:
    kind: str
    label: str
    model: str
    ciphertext_field: str
    roles: frozenset[Role]
    queryset: Callable
    masked_field: str = ""

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def allowed(self, user) -> bool:
        return bool(
            user is not None
            and user.is_authenticated
            and user.is_active
            and (user.is_superuser or user.has_role(*self.roles))
        )


_REGISTRY: dict[str, Revealable] = {}


def register_revealable(
    kind: str,
    *,
    label: str,
    model: str,
    ciphertext_field: str,
    roles,
    queryset: Callable,
    masked_field: str = "",
) -> None:
    _REGISTRY[kind] = Revealable(
        kind=kind,
        label=label,
        model=model,
        ciphertext_field=ciphertext_field,
        roles=frozenset(roles),
        queryset=queryset,
        masked_field=masked_field,
    )


def registry() -> dict[str, Revealable]:
    return dict(_REGISTRY)


def reveal_token(kind: str, pk) -> str:
    return signing.dumps({"k": kind, "pk": str(pk)}, salt=SALT, compress=True)


def reveal_url(kind: str, obj: models.Model) -> str:
    return reverse("core:reveal", args=[reveal_token(kind, obj.pk)])


def _max_age() -> int:
    return int(settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS)


def reveal_target(token: str, user) -> tuple[Revealable, models.Model]:
    """Resolve a token to (what, record) for this user: 404 for a bad token or a record outside
    the user's scope, 403 for a role that may not reveal this kind."""
    try:
        data = signing.loads(token, salt=SALT, max_age=_max_age())
        entry = _REGISTRY[data["k"]]
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise Http404 from exc
    if not entry.allowed(user):
        raise PermissionDenied
    obj = entry.queryset(user).filter(pk=data["pk"]).first()
    if obj is None:
        raise Http404
    return entry, obj


def masked_value(entry: Revealable, obj: models.Model) -> str:
    return str(getattr(obj, entry.masked_field, "") or "") if entry.masked_field else ""


def reveal_quota_check(actor) -> None:
    """At most ``REVEAL_DAILY_LIMIT`` reveals per person in 24 hours: looking up one number for a
    phone call is work, reading hundreds is an export by other means. The person's row is locked
    so parallel reveals cannot pass the limit together. Raises RuleViolation."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.errors import RuleViolation
    from core.models import AuditEvent

    limit = int(settings.REVEAL_DAILY_LIMIT)
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    since = timezone.now() - datetime.timedelta(hours=24)
    used = AuditEvent.objects.filter(
        action="pii.reveal", actor=actor, created_at__gte=since
    ).count()
    if used >= limit:
        raise RuleViolation(
            f"24 小时内查看完整号码已达上限 {limit} 次。如确有业务需要，请联系领导小组办公室。",
            code="reveal_quota",
        )


@transaction.atomic
def pii_reveal(*, token: str, reason: str, actor) -> tuple[Revealable, models.Model, str]:
    """Decrypt one protected number for ``actor`` and write the audit row. Raises Http404 /
    PermissionDenied as :func:`reveal_target`; ValueError for an empty reason."""
    from core.services import audit_record

    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reveal needs a reason")
    entry, obj = reveal_target(token, actor)
    reveal_quota_check(actor)
    ciphertext = getattr(obj, entry.ciphertext_field) or ""
    plaintext = crypto.decrypt(ciphertext) if ciphertext else ""
    audit_record(
        actor=actor,
        action="pii.reveal",
        obj=obj,
        changes={"field": entry.kind, "label": entry.label},
        reason=reason,
    )
    return entry, obj, plaintext
