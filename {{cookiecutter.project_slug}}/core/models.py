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
