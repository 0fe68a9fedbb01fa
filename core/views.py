from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.decorators import public


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from xuchang_skills.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        return "down"


@public
@never_cache
@require_GET
def healthz(request):
    """Liveness for the load balancer: 503 when the database is down (nothing works without it);
    a broker outage is reported but still 200, because requests are served and work is kept."""
    database = _database_ok()
    broker = _broker_status()
    status = 200 if database else 503
    return JsonResponse(
        {
            "status": "ok" if database else "down",
            "database": "ok" if database else "down",
            "broker": broker,
        },
        status=status,
    )
