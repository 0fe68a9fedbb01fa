"""Training: the campaign as data, monthly returns, and training delivery."""

from training.models.campaign import Campaign, Phase, SpecialtyIndustry, Target, TrainingCategory
from training.models.institutions import Institution
from training.models.reports import ProgressRow, ReportRun
from training.models.returns import (
    FIGURE_FIELDS,
    OUTCOME_FIELDS,
    CorrectionRequest,
    MonthlyReturn,
    ReturnAmendment,
    ReturnLine,
    ReturnReminder,
    ReturnUnlock,
)

__all__ = [
    "FIGURE_FIELDS",
    "OUTCOME_FIELDS",
    "Campaign",
    "CorrectionRequest",
    "Institution",
    "MonthlyReturn",
    "Phase",
    "ProgressRow",
    "ReportRun",
    "ReturnAmendment",
    "ReturnLine",
    "ReturnReminder",
    "ReturnUnlock",
    "SpecialtyIndustry",
    "Target",
    "TrainingCategory",
]
