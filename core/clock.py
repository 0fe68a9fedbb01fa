""" "Now" for campaign logic.

Deadlines are computed from this, never from ``datetime.now()``, so that tests freeze time in
one place and a demo can stand inside a past campaign (``APP_TODAY``, honoured only with DEBUG on).
"""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def now() -> datetime.datetime:
    override = getattr(settings, "APP_TODAY", "")
    if override and settings.DEBUG:
        moment = parse_datetime(override)
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            # Let the demo clock tick, so records made a second apart stay in order.
            return moment + (timezone.now() - _started)
    return timezone.now()


def today() -> datetime.date:
    return timezone.localdate(now())


_started = timezone.now()
