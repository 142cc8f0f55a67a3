"""A real SMTP server in the test process (aiosmtpd on a loopback port) that keeps what it receives; it can refuse
chosen recipients (550), require STARTTLS and AUTH. No part of smtplib is mocked."""
from __future__ import annotations

import email
import os
import shutil
import socket
import ssl
import subprocess
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.models import ReminderSent, User
from tests import dbutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_content()


@dataclass
class Collector:
    """The aiosmtpd handler: records every accepted message; `refuse` holds addresses answered with 550."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@dataclass
class SmtpServer:
    port: int
    handler: Collector
    cert: Path | None = None


def start(handler: Collector, **kw):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kw)
    controller.start()
    return controller, port


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with the openssl command (the test's own CA for STARTTLS)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        if dbutil.REQUIRE_ALL:
            pytest.fail("openssl is required for the STARTTLS test")
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, env={**os.environ, "OPENSSL_CONF": os.devnull})
    return cert, key


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


FROM = "特定個人情報保護評価 <spia-noreply@city.example.lg.jp>"


def addr(login: str) -> str:
    return f"{login}@city.example.lg.jp"


def with_addresses(engine, logins=("admin", "records", "shimin", "zeimu", "kodomo", "hoken", "council")) -> None:
    with Session(engine) as s:
        for u in s.exec(select(User).where(User.login_id.in_(logins))).all():
            u.email = addr(u.login_id)
            s.add(u)
        s.commit()


def sent_rows(engine) -> list[tuple[str, str, str]]:
    with Session(engine) as s:
        return sorted((u.login_id, r.deadline_key, r.threshold) for r, u in
                      s.exec(select(ReminderSent, User).join(User, User.id == ReminderSent.user_id)).all())
