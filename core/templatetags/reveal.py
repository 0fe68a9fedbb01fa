"""``{% reveal_url "training.worker.id_number" worker %}``: the link to reveal one full number, or
"" when the signed-in user's role may not reveal that kind (the template then shows no link)."""

from django import template

from core.reveal import registry
from core.reveal import reveal_url as _reveal_url

register = template.Library()


@register.simple_tag(takes_context=True)
def reveal_url(context, kind: str, obj) -> str:
    request = context.get("request")
    entry = registry().get(kind)
    if request is None or entry is None or obj is None or not entry.allowed(request.user):
        return ""
    return _reveal_url(kind, obj)
