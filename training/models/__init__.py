"""Training: the campaign as data, monthly returns, and training delivery."""

from training.models.campaign import Campaign, Phase, SpecialtyIndustry, Target, TrainingCategory
from training.models.institutions import Institution

__all__ = [
    "Campaign",
    "Institution",
    "Phase",
    "SpecialtyIndustry",
    "Target",
    "TrainingCategory",
]
