from django.db import models


class Ping(models.Model):
    """A job a visitor asked for on the home page; a worker process answers it."""

    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        # The home page reads the newest five; the sweep and the cleanup select by age.
        indexes = [models.Index(fields=["requested_at"], name="ping_requested_at")]

    def __str__(self) -> str:
        return f"Ping {self.pk}"


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
        ordering = ["-ran_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_job_and_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.slot:%Y-%m-%d %H:%M}"
