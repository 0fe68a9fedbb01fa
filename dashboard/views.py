from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from core.decorators import role_required
from core.roles import Role
from dashboard import selectors


@login_required
def home(request):
    """What needs this person's attention, by role."""
    context = selectors.home_context(user=request.user)
    return render(request, "dashboard/home.html", context)


@role_required(Role.OFFICE, Role.AUDITOR)
def audit_list(request):
    events = selectors.audit_event_list(user=request.user, action=request.GET.get("action", ""))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "dashboard/audit_list.html", {"page": page})
