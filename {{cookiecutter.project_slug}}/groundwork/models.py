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
