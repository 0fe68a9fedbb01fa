"""View decorators that state who may enter. Every view carries one."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from core.roles import Role


def role_required(*roles: Role) -> Callable:
    """Signed in and holding one of ``roles`` (superusers pass); otherwise 403.
    Anonymous users are sent to the login page first."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_superuser or user.has_role(*roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


def public(view):
    """Marks a view open to everyone, so the authorization sweep knows it was meant to be."""
    view.is_public = True
    return view
