from django.contrib import admin

from .models import PeriodicRun, Ping


@admin.register(Ping)
class PingAdmin(admin.ModelAdmin):
    list_display = ["pk", "requested_at", "answered_at", "answered_by"]


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    list_display = ["job", "slot", "ran_at", "ran_by"]
    list_filter = ["job"]
