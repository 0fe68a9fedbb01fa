"""Supply figures for the supply–demand analysis that live outside the training app.

Certificates are the appraisal app's; training never imports appraisal (dependencies point one
way), so appraisal registers a provider from its ``AppConfig.ready``, the way it registers its
target providers in ``training.progress``. A provider answers "how many, per occupation id, in
the period from ``start`` to ``end`` inclusive".
"""

import datetime
from collections.abc import Callable

SupplyProvider = Callable[..., dict[int, int]]

_PROVIDERS: dict[str, SupplyProvider] = {}


def register_supply_provider(code: str, provider: SupplyProvider) -> None:
    """``provider(*, start: date, end: date) -> {occupation_id: count}``; the last registration
    wins. Codes in use: "certified" (certificates issued)."""
    _PROVIDERS[code] = provider


def supply_by_occupation(code: str, *, start: datetime.date, end: datetime.date) -> dict[int, int]:
    """The provider's figures, or an empty mapping when no installed app provides them."""
    provider = _PROVIDERS.get(code)
    if provider is None:
        return {}
    return provider(start=start, end=end)
