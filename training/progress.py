"""How far the campaign's headline targets are achieved, wherever the figures live.

The training app knows training and employment (from monthly returns); appraisal and high-skilled
counts live in the appraisal app, which registers its own provider when it is installed, so that
training never imports appraisal (dependencies point one way). A provider answers "how many up to
and including ``until`` (a date)"; ``accepted_only`` asks for figures the office has accepted
(the audit workbook) rather than everything reported (the monthly progress report). Providers
whose figures are facts rather than reports (certificates) may ignore it.
"""

import datetime
from collections.abc import Callable

from django.db.models import Sum

TargetProvider = Callable[..., int]

_PROVIDERS: dict[str, TargetProvider] = {}


def register_target_provider(code: str, provider: TargetProvider) -> None:
    """``provider(*, campaign, until: datetime.date, accepted_only: bool) -> int``; the last
    registration wins."""
    _PROVIDERS[code] = provider


def target_achieved(
    *, campaign, code: str, until: datetime.date, accepted_only: bool = False
) -> int | None:
    """The achieved figure for a target code, or None when no app provides it yet."""
    provider = _PROVIDERS.get(code)
    if provider is None:
        return None
    return provider(campaign=campaign, until=until, accepted_only=accepted_only)


def _reported_lines(campaign, until: datetime.date, accepted_only: bool):
    from training.models import MonthlyReturn, ReturnLine

    statuses = [MonthlyReturn.Status.ACCEPTED]
    if not accepted_only:
        statuses.append(MonthlyReturn.Status.SUBMITTED)
    return ReturnLine.objects.filter(
        monthly_return__campaign=campaign,
        monthly_return__month__lte=until,
        monthly_return__status__in=statuses,
    )


def training_achieved(*, campaign, until: datetime.date, accepted_only: bool = False) -> int:
    return _reported_lines(campaign, until, accepted_only).aggregate(n=Sum("trained"))["n"] or 0


def employment_achieved(*, campaign, until: datetime.date, accepted_only: bool = False) -> int:
    """促进就业: people employed or self-employed after training."""
    totals = _reported_lines(campaign, until, accepted_only).aggregate(
        e=Sum("employed"), s=Sum("entrepreneurs")
    )
    return (totals["e"] or 0) + (totals["s"] or 0)


register_target_provider("training", training_achieved)
register_target_provider("employment", employment_achieved)
