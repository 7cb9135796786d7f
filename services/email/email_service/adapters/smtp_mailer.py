"""SMTP delivery with jittered retries; the event id doubles as Message-ID so receivers can deduplicate too."""
from __future__ import annotations

import smtplib
from typing import Callable
from email.message import EmailMessage

from opentelemetry import trace
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from ..domain import Mail

SMTP_ERRORS = (OSError, smtplib.SMTPException)


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, timeout_s: float = 5.0,
                 tracer: trace.Tracer | None = None) -> None:
        self._tracer = tracer or trace.NoOpTracer()
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout_s = timeout_s

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = f"<{mail.message_id}@faultline.local>"
        message.set_content(mail.body)
        return message

    def send(self, mail: Mail, on_accepted: Callable[[], None]) -> None:
        """Deliver the mail, then run `on_accepted` (record it) before saying goodbye to the server.

        Only the delivery itself is retried. Recording before QUIT keeps the window in which a crash resends a mail
        the server already took (at-least-once) to the server's reply and one Redis write.
        """
        with self._tracer.start_as_current_span("smtp send", kind=trace.SpanKind.CLIENT, attributes={
                "server.address": self.host, "server.port": self.port, "faultline.mail.message_id": mail.message_id}):
            smtp = self._deliver(mail)
            try:
                on_accepted()
            finally:
                self._close(smtp)

    @retry(retry=retry_if_exception_type(SMTP_ERRORS), stop=stop_after_attempt(4),
           wait=wait_random_exponential(multiplier=0.2, max=2.0), reraise=True)
    def _deliver(self, mail: Mail) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            smtp.send_message(self._message(mail))
        except BaseException:
            self._close(smtp)
            raise
        return smtp

    @staticmethod
    def _close(smtp: smtplib.SMTP) -> None:
        try:
            smtp.quit()
        except SMTP_ERRORS:
            smtp.close()
