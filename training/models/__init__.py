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
from training.models.enterprise_funds import (
    EducationFundReturn,
    EducationFundRule,
    Enterprise,
)
from training.models.facilities import Facility, FacilityEvidence, FacilityKind, FacilityTarget
from training.models.institutions import (
    DesignationChange,
    Institution,
    InstitutionAssessment,
    InstitutionViolation,
    Programme,
    RegistrationPoint,
)
from training.models.labour_market import (
    JobFair,
    SkillDemand,
    SupplyDemandReport,
    SupplyDemandRow,
)
from training.models.ledger import JointMeeting, LedgerProgressNote, LedgerTask
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
from training.models.teachers import ClassTeacher, Teacher, TeacherGoal, TeacherTraining
from training.models.workers import PopulationGroup, Worker

__all__ = [
    "FIGURE_FIELDS",
    "OUTCOME_FIELDS",
    "AttendanceRecord",
    "Campaign",
    "ClassTeacher",
    "CooperationOrder",
    "CorrectionRequest",
    "DesignationChange",
    "EducationFundReturn",
    "EducationFundRule",
    "Enrollment",
    "Enterprise",
    "Facility",
    "FacilityEvidence",
    "FacilityKind",
    "FacilityTarget",
    "Inspection",
    "Institution",
    "InstitutionAssessment",
    "InstitutionViolation",
    "JobFair",
    "JobReferral",
    "JointMeeting",
    "LedgerProgressNote",
    "LedgerTask",
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
    "SkillDemand",
    "SpecialtyIndustry",
    "SupplyDemandReport",
    "SupplyDemandRow",
    "Target",
    "Teacher",
    "TeacherGoal",
    "TeacherTraining",
    "TrainingCategory",
    "TrainingClass",
    "Worker",
]
