"""Skill appraisal: levels and rules, bodies, registrations, sittings, results, certificates."""

from appraisal.models.appraisal import (
    CERTIFICATE_KINDS,
    HIGH_SKILLED,
    LEVEL_VALUES,
    AppraisalBody,
    BodyAuthorisation,
    Certificate,
    CertificateCounter,
    CertificateKind,
    Level,
    LevelRule,
    Registration,
    Sitting,
)
from appraisal.models.pilots import (
    DualOneException,
    EmploymentInspection,
    EnterpriseEvaluation,
    PilotChecklistItem,
    PilotEnterprise,
)

__all__ = [
    "CERTIFICATE_KINDS",
    "HIGH_SKILLED",
    "LEVEL_VALUES",
    "AppraisalBody",
    "BodyAuthorisation",
    "Certificate",
    "CertificateCounter",
    "CertificateKind",
    "DualOneException",
    "EmploymentInspection",
    "EnterpriseEvaluation",
    "Level",
    "LevelRule",
    "PilotChecklistItem",
    "PilotEnterprise",
    "Registration",
    "Sitting",
]
