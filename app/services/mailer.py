"""Sending mail through the city's SMTP server (smtplib): optional STARTTLS and AUTH, a timeout on every step, one
connection per run. Errors are described in Japanese for the run's report; the caller decides what to record."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from app.config import Settings


class MailNotConfigured(Exception):
    """SPIA_SMTP_HOST or SPIA_SMTP_FROM is not set."""


def config_problem(settings: Settings) -> str | None:
    if not settings.smtp_host:
        return "メールの送信先のサーバーが設定されていません(環境変数 SPIA_SMTP_HOST)。"
    if not parseaddr(settings.smtp_from)[1]:
        return "差出人のメールアドレスが設定されていません(環境変数 SPIA_SMTP_FROM)。"
    if settings.smtp_user and not settings.smtp_starttls:
        return "SMTP の認証(SPIA_SMTP_USER)には STARTTLS(SPIA_SMTP_STARTTLS=true)が必要です(パスワードを平文で送りません)。"
    return None


def message(settings: Settings, *, to_name: str, to_addr: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.smtp_from
    msg["To"] = formataddr((to_name, to_addr))
    msg["Date"] = formatdate(localtime=True)
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "spia.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a reminder
    msg.set_content(body, charset="utf-8")
    return msg


def describe(exc: BaseException) -> str:
    """A Japanese description of a failed send, with the server's reply when there is one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items())
        return f"宛先を受け付けませんでした({replies})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"差出人を受け付けませんでした({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"認証に失敗しました({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"サーバーが受け付けませんでした({exc.smtp_code} {_text(exc.smtp_error)})"
    if isinstance(exc, (TimeoutError, smtplib.SMTPServerDisconnected)):
        return f"サーバーとの通信が途切れました({exc.__class__.__name__}: {exc})"
    if isinstance(exc, ssl.SSLError):
        return f"STARTTLS に失敗しました({exc})"
    if isinstance(exc, OSError):
        return f"サーバーに接続できません({exc.__class__.__name__}: {exc})"
    return f"送信できませんでした({exc.__class__.__name__}: {exc})"


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class Mailer:
    """One SMTP connection for a run (reconnecting once if the server drops it). When the server cannot be
    reached at all, every further send fails at once with the same error instead of waiting for each timeout."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: BaseException | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            smtp.ehlo()
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=s.smtp_ca_file or None))
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
        except BaseException:
            _quietly_close(smtp)
            raise
        return smtp

    def send(self, msg: EmailMessage) -> None:
        if self._unreachable is not None:
            raise self._unreachable
        for attempt in (1, 2):
            if self._smtp is None:
                try:
                    self._smtp = self._connect()
                except (OSError, smtplib.SMTPException) as exc:
                    self._unreachable = exc
                    raise
            try:
                self._smtp.send_message(msg)
                return
            except smtplib.SMTPServerDisconnected:
                self.close()
                if attempt == 2:
                    raise
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
                raise  # the server answered (and smtplib reset the transaction): the connection stays usable
            except OSError:  # a timeout or reset in the middle of a message: the connection is unusable
                self.close()
                raise

    def close(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
