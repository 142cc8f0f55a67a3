"""`spia remind`: every person's deadlines that reached 90/30/7/0 days or passed, one mail per person per run,
each (person, deadline, threshold) sent once. The rules are in app/domain/reminders.py; this gathers the
deadlines and people, sends, and records what the SMTP server accepted."""
from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.config import Settings
from app.db import session_scope
from app.domain import reminders as rules
from app.domain.forms import FORM_LABEL
from app.domain.policy import SYSTEM, Actor, expand_departments
from app.domain.wareki import wareki
from app.errors import Forbidden, NotFound, ValidationFailed
from app.models import (
    Assessment,
    AssessmentVersion,
    Department,
    ImprovementAction,
    Jimu,
    MailOptOut,
    Organisation,
    PublicComment,
    ReminderSent,
    Review,
    ReviewCondition,
    User,
    UserDepartment,
    pk,
)
from app.services import audit, due, locking, mailer

CONDITION_DAYS = 90  # a 答申's conditions have no date of their own: due 90 days after the 答申 (README, Decisions)


def deadlines(session: Session, *, organisation_id: int, today: date) -> list[rules.Deadline]:
    """Every dated deadline of the organisation's 評価書 that a reminder can be about."""
    actor = SYSTEM.__class__(**{**SYSTEM.__dict__, "organisation_id": organisation_id})
    rows = due.rows(session, actor=actor, today=today)
    by_assessment = {r.assessment.id: r for r in rows}
    by_version = {r.q.row.version.id: r for r in rows}
    out: list[rules.Deadline] = []

    def add(kind: str, key: str, r: due.DueRow, what: str, due_on: date) -> None:
        out.append(rules.Deadline(f"{kind}:{key}:{due_on.isoformat()}", kind, r.assessment.id,
                                  r.q.row.jimu.department_id, str(r.assessment.number), r.title, what, due_on))

    for r in rows:
        for d in r.items:
            if d.kind == "review":
                add("review", str(r.assessment.id), r, "見直し(毎年)の期限", d.due_on)
            elif d.kind == "reassessment":
                add("reassessment", str(r.assessment.id), r, "再実施(5年)の期限", d.due_on)
    if not rows:
        return out
    for pc in session.exec(select(PublicComment)
                           .join(AssessmentVersion, col(AssessmentVersion.id) == PublicComment.version_id)
                           .where(col(PublicComment.version_id).in_(list(by_version)),
                                  col(PublicComment.closed_on).is_(None), col(PublicComment.end_on).is_not(None),
                                  AssessmentVersion.stage == "public_comment")):
        if pc.end_on is None:  # excluded by the query
            continue
        add("comment", str(pc.id), by_version[pc.version_id],
            f"意見公募の期間の終了({wareki(pc.start_on)}〜{wareki(pc.end_on)})", pc.end_on)
    conds = session.exec(select(ReviewCondition, Review).join(Review, col(Review.id) == ReviewCondition.review_id)
                         .where(col(Review.version_id).in_(list(by_version)), col(Review.answered_on).is_not(None))
                         .order_by(col(ReviewCondition.id))).all()
    numbers: dict[int, int] = {}
    for c, review in conds:
        review_id = pk(review)
        numbers[review_id] = numbers.get(review_id, 0) + 1
        if c.status != "open" or review.answered_on is None:  # (unanswered reviews are excluded by the query)
            continue
        r = by_version[review.version_id]
        due_on = review.answered_on + timedelta(days=CONDITION_DAYS)
        planned = r.q.row.version.planned_change_on
        if planned and planned < due_on:
            due_on = planned
        add("condition", str(c.id), r, f"答申({wareki(review.answered_on)})の条件{numbers[review_id]}への対応", due_on)
    for a in session.exec(select(ImprovementAction).where(col(ImprovementAction.assessment_id).in_(list(by_assessment)),
                                                          ImprovementAction.status == "open",
                                                          col(ImprovementAction.due_on).is_not(None))
                          .order_by(col(ImprovementAction.id))):
        if a.due_on is None:  # excluded by the query
            continue
        owner = f"(担当: {a.owner})" if a.owner else ""
        add("action", str(a.id), by_assessment[a.assessment_id], f"改善策の実施{owner}", a.due_on)
    return out


def recipients(session: Session, *, organisation_id: int) -> list[rules.Recipient]:
    """Active records and staff users with their departments (and those below) and opt-outs; with or without an
    address (the run reports those without one)."""
    users = session.exec(select(User).where(User.organisation_id == organisation_id, User.active == True,
                                            col(User.role).in_(rules.RECIPIENT_ROLES)).order_by(col(User.id))).all()
    parents = {d: p for d, p in session.exec(select(Department.id, Department.parent_id)
                                             .where(Department.organisation_id == organisation_id)).all()
               if d is not None}  # (read rows always have an id)
    own: dict[int, set[int]] = {}
    for link in session.exec(select(UserDepartment)):
        own.setdefault(link.user_id, set()).add(link.department_id)
    opted: dict[int, set[str]] = {}
    for o in session.exec(select(MailOptOut)):
        opted.setdefault(o.user_id, set()).add(o.kind)
    return [rules.Recipient(pk(u), u.display_name, u.email, u.role, expand_departments(own.get(pk(u), set()), parents),
                            frozenset(opted.get(pk(u), set()))) for u in users]


def sent_keys(session: Session, user_ids: list[int]) -> set[tuple[int, str, str]]:
    if not user_ids:
        return set()
    return {(u, k, t) for u, k, t in session.exec(select(ReminderSent.user_id, ReminderSent.deadline_key,
                                                         ReminderSent.threshold)
                                                  .where(col(ReminderSent.user_id).in_(user_ids))).all()}


@dataclass
class MailResult:
    mail: rules.Mail
    login_id: str
    status: str  # sent | failed | dry_run | already_sent | no_address
    error: str = ""


@dataclass
class Report:
    as_of: date
    dry_run: bool
    results: list[MailResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> int:
        return self.count("failed")


def plan(session: Session, *, today: date) -> list[tuple[rules.Mail, str]]:
    """(mail, login id) for every person with reminders due, in every organisation; a mail without an address is
    included (status no_address in the report)."""
    out: list[tuple[rules.Mail, str]] = []
    logins = dict(session.exec(select(User.id, User.login_id)).all())
    for org in session.exec(select(Organisation).order_by(col(Organisation.id))).all():
        org_id = pk(org)
        people = recipients(session, organisation_id=org_id)
        found = deadlines(session, organisation_id=org_id, today=today)
        sent = sent_keys(session, [p.user_id for p in people])
        stand_in = [rules.Recipient(p.user_id, p.name, p.email or "-", p.role, p.department_ids, p.opted_out)
                    for p in people]
        for m in rules.plan(found, stand_in, as_of=today, sent=sent):
            real = next(p for p in people if p.user_id == m.recipient.user_id)
            out.append((rules.Mail(real, m.reminders), logins[real.user_id]))
    return out


def run(engine: Engine, *, settings: Settings, today: date, dry_run: bool = False) -> Report:
    """Send every person's mail; record each reminder of a mail the server accepted, in the same transaction as
    the send (so two runs at once cannot both record it, and a failed send records nothing)."""
    report = Report(today, dry_run)
    with session_scope(engine) as session:
        planned = plan(session, today=today)
    if not dry_run and planned:
        problem = mailer.config_problem(settings)
        if problem:
            raise mailer.MailNotConfigured(problem)
    sender = settings.smtp_from or "特定個人情報保護評価 支援システム"
    with mailer.Mailer(settings) as smtp:
        for mail, login in planned:
            if not mail.recipient.email:
                report.results.append(MailResult(mail, login, "no_address"))
            elif dry_run:
                report.results.append(MailResult(mail, login, "dry_run"))
            else:
                report.results.append(_send_one(engine, smtp, settings, mail, login, today, sender))
    return report


def _send_one(engine: Engine, smtp: mailer.Mailer, settings: Settings, mail: rules.Mail, login: str, today: date,
              sender: str) -> MailResult:
    r = mail.recipient
    msg = mailer.message(settings, to_name=r.name, to_addr=r.email, subject=mail.subject,
                         body=mail.body(as_of=today, sender=sender))
    with session_scope(engine, write=True) as session:
        for x in mail.reminders:
            d = x.deadline
            session.add(ReminderSent(user_id=r.user_id, deadline_key=d.key, threshold=x.threshold, kind=d.kind,
                                     assessment_id=d.assessment_id, due_on=d.due_on, what=d.what[:300],
                                     email=r.email, as_of=today))
        try:
            session.flush()
        except IntegrityError:  # another run sent (some of) them meanwhile: the rest go out next time
            session.rollback()
            return MailResult(mail, login, "already_sent")
        audit.record(session, actor=SYSTEM, entity="reminder_mail", entity_id=r.user_id, action="sent",
                     after={"email": r.email, "as_of": today.isoformat(),
                            "reminders": [[x.deadline.key, x.threshold] for x in mail.reminders]})
        try:
            smtp.send(msg)
        except (OSError, smtplib.SMTPException) as exc:
            session.rollback()
            return MailResult(mail, login, "failed", mailer.describe(exc))
        session.commit()
    return MailResult(mail, login, "sent")


def sent_list(session: Session, *, organisation_id: int, limit: int = 300) -> list[tuple[ReminderSent, User, str]]:
    """What was sent, newest first, with the 評価書's title (the administrator's page)."""
    # sqlmodel's select() is typed for up to four entities; these five go through its Select class, typed here.
    q: Select[ReminderSent, User, str, str, int] = Select(
        ReminderSent, User, col(Jimu.name), col(Assessment.form), col(Assessment.number))
    rows = session.exec(q.join(User, col(User.id) == ReminderSent.user_id)
                        .join(Assessment, col(Assessment.id) == ReminderSent.assessment_id)
                        .join(Jimu, col(Jimu.id) == Assessment.jimu_id)
                        .where(User.organisation_id == organisation_id)
                        .order_by(col(ReminderSent.sent_at).desc(), col(ReminderSent.id).desc()).limit(limit)).all()
    return [(r, u, f"No.{number} {jimu} {FORM_LABEL[form]}") for r, u, jimu, form, number in rows]


def preferences(session: Session, *, user_id: int) -> tuple[User, set[str]]:
    """The user (address, lock version) and the kinds they opted out of."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("利用者が見つかりません。")
    return user, set(session.exec(select(MailOptOut.kind).where(MailOptOut.user_id == user_id)).all())


def update_preferences(session: Session, *, actor: Actor, email: str, receive: set[str],
                       lock_version: str | None) -> User:
    """The account page: one's own address and which kinds of reminders to receive (the others are opted out)."""
    if actor.user_id is None:
        raise Forbidden("メール通知の設定は利用者ごとに行います。")
    user, opted = preferences(session, user_id=actor.user_id)
    email = email.strip()
    problem = rules.email_problem(email)
    if problem:
        raise ValidationFailed({"email": problem})
    new_opted = set(rules.KINDS) - set(receive)
    before = {"email": user.email, "opted_out": sorted(opted)}
    locking.claim_row(session, user, lock_version, message="このアカウントの設定は先に更新されています。",
                      what="メール通知の設定", entity="user", actor_id=actor.user_id,
                      describe=lambda u: f"メールアドレス「{u.email}」")
    user.email = email
    session.add(user)
    for o in session.exec(select(MailOptOut).where(MailOptOut.user_id == user.id)).all():
        if o.kind not in new_opted:
            session.delete(o)
    for kind in sorted(new_opted - opted):
        session.add(MailOptOut(user_id=pk(user), kind=kind))
    audit.record(session, actor=actor, entity="user", entity_id=user.id, action="mail_settings", before=before,
                 after={"email": email, "opted_out": sorted(new_opted)})
    session.commit()
    return user
