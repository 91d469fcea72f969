from django.contrib import admin

from .models import OutgoingMail, PeriodicRun


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    list_display = ["job", "slot", "ran_at", "ran_by"]
    list_filter = ["job"]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """What the site sent, and what still waits (groundwork/mail.py): to look at,
    not to edit."""

    list_display = ["__str__", "created_at", "sent_at", "refused"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    exclude = ["message"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
