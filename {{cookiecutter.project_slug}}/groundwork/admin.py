from django.contrib import admin

from .models import PeriodicRun


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    list_display = ["job", "slot", "ran_at", "ran_by"]
    list_filter = ["job"]
