from django.contrib import admin

from .models import Ping


@admin.register(Ping)
class PingAdmin(admin.ModelAdmin):
    list_display = ["pk", "requested_at", "answered_at", "answered_by"]
