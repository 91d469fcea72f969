"""Email, sent by the workers: a request only saves the message.

Django's send_mail() (and the password reset, and mail_admins) goes through
OutboxBackend, which saves each message in the database and queues a task to send
it. The worker hands it to the mail service over SMTP, with a timeout
(EMAIL_TIMEOUT); if the service is down, hung or refuses for a moment, the task
retries, and the mail sweep sends again what is still waiting. Nothing is sent
from a request, so a slow mail service never holds a page.

Where it goes: the SMTP service that EMAIL_URL or the Mailgun add-on names
(addons.py). Without one, locally the worker prints each message (local.py); in
production the message waits in the outbox and the log says what is missing.
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import OutgoingMail

logger = logging.getLogger(__name__)


class OutboxBackend(BaseEmailBackend):
    """Saves each message and queues its sending (after the commit, if any)."""

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        from .tasks import send_mail_from_outbox, send_soon

        saved = 0
        for message in email_messages:
            if not message.recipients():
                continue
            mail = OutgoingMail.objects.create(
                sender=message.from_email,
                recipients=message.recipients(),
                message=message.message().as_bytes(linesep="\r\n"),
            )
            transaction.on_commit(lambda pk=mail.pk: send_soon(send_mail_from_outbox, pk))
            saved += 1
        return saved


def deliver(mail: OutgoingMail) -> None:
    """Hand the message to the mail service; raises what the service raised."""
    if not settings.EMAIL_SMTP:
        if settings.EMAIL_PRINT_WITHOUT_SMTP:
            sys.stdout.write(bytes(mail.message).decode(errors="replace") + "\n")
            sys.stdout.flush()
            return
        raise ImproperlyConfigured(
            "No mail service: set EMAIL_URL (smtp:// or smtps://) or add Mailgun "
            f"(MAILGUN_SMTP_*); {mail} waits in the outbox until then."
        )
    with SMTPBackend(
        timeout=settings.EMAIL_TIMEOUT, fail_silently=False, **settings.EMAIL_SMTP
    ) as smtp:
        smtp.connection.sendmail(mail.sender, mail.recipients, bytes(mail.message))


def send_waiting(mail_id: int) -> bool:
    """Send one waiting message, once: the row stays locked while it is sent, so
    the sweep and a retry never send it side by side. False if already sent."""
    with transaction.atomic():
        mail = (
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(pk=mail_id, sent_at__isnull=True)
            .first()
        )
        if mail is None:
            return False
        deliver(mail)
        mail.sent_at = timezone.now()
        mail.save(update_fields=["sent_at"])
    return True
