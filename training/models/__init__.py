"""Training: the campaign as data, monthly returns and progress reports, and training delivery."""

from training.models.campaign import Campaign, Phase, SpecialtyIndustry, Target, TrainingCategory
from training.models.classes import (
    AttendanceRecord,
    CooperationOrder,
    Enrollment,
    Inspection,
    JobReferral,
    TrainingClass,
)
from training.models.institutions import (
    DesignationChange,
    Institution,
    InstitutionAssessment,
    InstitutionViolation,
    Programme,
    RegistrationPoint,
)
from training.models.occupations import Occupation
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
from training.models.workers import PopulationGroup, Worker

__all__ = [
    "FIGURE_FIELDS",
    "OUTCOME_FIELDS",
    "AttendanceRecord",
    "Campaign",
    "CooperationOrder",
    "CorrectionRequest",
    "DesignationChange",
    "Enrollment",
    "Inspection",
    "Institution",
    "InstitutionAssessment",
    "InstitutionViolation",
    "JobReferral",
    "MonthlyReturn",
    "Occupation",
    "Phase",
    "PopulationGroup",
    "Programme",
    "ProgressRow",
    "RegistrationPoint",
    "ReportRun",
    "ReturnAmendment",
    "ReturnLine",
    "ReturnReminder",
    "ReturnUnlock",
    "SpecialtyIndustry",
    "Target",
    "TrainingCategory",
    "TrainingClass",
    "Worker",
]
