from django.db import models


class PeriodicRun(models.Model):
    """One run of a scheduled job in one time slot.

    At most one run per job and slot can exist, so a second scheduler (two
    `scheduler` dynos during a deploy, say) makes no job run twice.
    """

    job = models.CharField(max_length=100)
    slot = models.DateTimeField(help_text="Start of the period this run covers.")
    ran_at = models.DateTimeField(auto_now_add=True)
    ran_by = models.CharField(max_length=200)

    class Meta:
        # The table it had when the demo app held it: moved without a migration.
        db_table = "core_periodicrun"
        ordering = ["-ran_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_job_and_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.slot:%Y-%m-%d %H:%M}"


class OutgoingMail(models.Model):
    """A message the site sends, kept until a worker has handed it to the mail
    service (groundwork/mail.py): neither a slow mail service nor a broker outage
    holds a request, and nothing is lost while either is away."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sender = models.CharField(max_length=998)
    recipients = models.JSONField()
    # The whole message as it goes over SMTP: headers, Message-ID and body as made.
    message = models.BinaryField()
    # Why the mail service refused it for good (every recipient unknown, say).
    refused = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"mail {self.pk} to {', '.join(self.recipients)}"
