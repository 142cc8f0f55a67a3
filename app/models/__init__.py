"""SQLModel tables, grouped by aggregate. Importing this package registers every table."""
from app.models.assessment import (
    Answer, Assessment, AssessmentVersion, ChangeClass, ChangeRow, FormLabel, ImprovementAction, LibraryMeasure, PageLock,
    UnmappedAnswer, VersionFile,
)
from app.models.blocks import TextBlock, TextBlockDecision, TextBlockRevision, TextBlockUse
from app.models.campaign import Campaign, CampaignLink
from app.models.review import AnnualReview, AnnualReviewCheck, ChecklistItem
from app.models.audit import AuditLog
from app.models.figure import FigureBlob
from app.models.formcheck import FormConfirmation
from app.models.procedure import (
    Approval, Council, CouncilMember, Finding, Meeting, Opinion, PublicComment, Review, ReviewCondition, Snapshot,
    StageEvent, WorkflowStep,
)
from app.models.base import metadata
from app.models.organisation import ApiToken, Department, DirectoryGroup, LoginSession, Organisation, User, UserDepartment
from app.models.reminder import MailOptOut, ReminderSent
from app.models.register import Determination, Jimu, SeriousIncident, SpecificFile

__all__ = [
    "Campaign", "CampaignLink", "TextBlock", "TextBlockDecision", "TextBlockRevision", "TextBlockUse",
    "AnnualReview", "AnnualReviewCheck", "FigureBlob", "ChangeClass", "ChecklistItem", "UnmappedAnswer",
    "Answer", "Assessment", "ChangeRow", "AssessmentVersion", "FormConfirmation", "FormLabel", "ImprovementAction", "LibraryMeasure", "PageLock",
    "VersionFile", "ApiToken", "Approval", "Council", "CouncilMember", "Finding", "Meeting", "Opinion",
    "PublicComment", "Review", "ReviewCondition", "Snapshot", "StageEvent", "WorkflowStep", "AuditLog", "Department", "DirectoryGroup", "Determination", "Jimu", "LoginSession", "Organisation",
    "MailOptOut", "ReminderSent", "SeriousIncident", "SpecificFile", "User", "UserDepartment", "metadata",
]
