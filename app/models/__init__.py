"""SQLModel tables, grouped by aggregate. Importing this package registers every table."""
from app.models.assessment import (
    Answer,
    Assessment,
    AssessmentVersion,
    ChangeClass,
    ChangeRow,
    FormLabel,
    ImprovementAction,
    LibraryMeasure,
    PageLock,
    UnmappedAnswer,
    VersionFile,
)
from app.models.audit import AuditLog
from app.models.base import metadata, pk
from app.models.blocks import TextBlock, TextBlockDecision, TextBlockRevision, TextBlockUse
from app.models.campaign import Campaign, CampaignLink
from app.models.figure import FigureBlob
from app.models.formcheck import FormConfirmation
from app.models.organisation import (
    ApiToken,
    Department,
    DirectoryGroup,
    LoginSession,
    Organisation,
    User,
    UserDepartment,
)
from app.models.procedure import (
    Approval,
    Council,
    CouncilMember,
    Finding,
    Meeting,
    Opinion,
    PublicComment,
    Review,
    ReviewCondition,
    Snapshot,
    StageEvent,
    WorkflowStep,
)
from app.models.register import Determination, Jimu, SeriousIncident, SpecificFile
from app.models.reminder import MailOptOut, ReminderSent
from app.models.review import AnnualReview, AnnualReviewCheck, ChecklistItem

__all__ = [
    "AnnualReview",
    "AnnualReviewCheck",
    "Answer",
    "ApiToken",
    "Approval",
    "Assessment",
    "AssessmentVersion",
    "AuditLog",
    "Campaign",
    "CampaignLink",
    "ChangeClass",
    "ChangeRow",
    "ChecklistItem",
    "Council",
    "CouncilMember",
    "Department",
    "Determination",
    "DirectoryGroup",
    "FigureBlob",
    "Finding",
    "FormConfirmation",
    "FormLabel",
    "ImprovementAction",
    "Jimu",
    "LibraryMeasure",
    "LoginSession",
    "MailOptOut",
    "Meeting",
    "Opinion",
    "Organisation",
    "PageLock",
    "PublicComment",
    "ReminderSent",
    "Review",
    "ReviewCondition",
    "SeriousIncident",
    "Snapshot",
    "SpecificFile",
    "StageEvent",
    "TextBlock",
    "TextBlockDecision",
    "TextBlockRevision",
    "TextBlockUse",
    "UnmappedAnswer",
    "User",
    "UserDepartment",
    "VersionFile",
    "WorkflowStep",
    "metadata",
    "pk",
]
