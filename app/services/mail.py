"""Outgoing mail: every message is kept in the outbox; SMTP delivers it when configured.

Without MAIL_SERVER (development) each message is also written to the app's log at INFO, so the
console of `make run` shows it, links included; `flask --app run pupns outbox` lists the latest.
"""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from ..models import utcnow
from ..models.audit import OutboxMail


def queue(session, recipient: str, subject: str, body: str) -> OutboxMail:
    """Add a message to the outbox (in the caller's transaction)."""
    mail = OutboxMail(recipient=recipient, subject=str(subject), body=str(body))
    session.add(mail)
    return mail


def deliver(session, mail: OutboxMail) -> bool:
    """Send one outbox message by SMTP if MAIL_SERVER is set, recording the outcome (commits);
    otherwise only log it (log_outbox_only) and return False: it stays in the outbox."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        log_outbox_only(mail)
        return False
    message = EmailMessage()
    message["From"] = cfg["MAIL_DEFAULT_SENDER"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(message)
        mail.sent_at, mail.error = utcnow(), None
        ok = True
    except (OSError, smtplib.SMTPException) as exc:
        mail.error = f"{type(exc).__name__}: {exc}"[:2000]
        ok = False
    session.commit()
    return ok


def outbox_logger() -> logging.Logger:
    """The app logger's "outbox" child, at INFO unless configured otherwise: Flask's own logger
    passes only warnings outside debug mode, and the dev console must show the mails."""
    logger = current_app.logger.getChild("outbox")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger


def log_outbox_only(mail: OutboxMail) -> None:
    """Write a message that stays in the outbox (no MAIL_SERVER) to the log, body included,
    for the developer's console. Never in production: bodies hold password reset links."""
    if current_app.config.get("ENV_NAME") == "production":
        outbox_logger().warning("Mail #%s kept in the outbox: no MAIL_SERVER configured", mail.id)
        return
    outbox_logger().info(
        "Mail kept in the outbox (no MAIL_SERVER configured)\nTo: %s\nSubject: %s\n\n%s",
        mail.recipient,
        mail.subject,
        mail.body,
    )


def send(session, recipient: str, subject: str, body: str) -> OutboxMail:
    """Queue and commit a message, then try SMTP. The outbox keeps it either way."""
    mail = queue(session, recipient, subject, body)
    session.commit()
    deliver(session, mail)
    return mail
