from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from groundwork.jobs import HEARTBEAT
from groundwork.models import PeriodicRun
from groundwork.ratelimit import rate_limited

from .models import Ping
from .tasks import send_answer


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "project_name": settings.PROJECT_NAME,
        "pings": Ping.objects.all()[:5],
        "highlighted_ping": request.GET.get("ping", ""),
        "last_heartbeat": PeriodicRun.objects.filter(job=HEARTBEAT).first(),
        "heartbeat_seconds": round(settings.HEARTBEAT_PERIOD.total_seconds()),
    }
    return render(request, "core/home.html", context)


@require_POST
@rate_limited("ping", lambda: settings.PINGS_PER_MINUTE)
def request_ping(request: HttpRequest) -> HttpResponse:
    ping = Ping.objects.create()
    # Queue its task once the row is committed (at once under autocommit), so the
    # worker never looks for a row it cannot see yet, even with ATOMIC_REQUESTS
    # on. The row is the record of the work: if the broker cannot take the task,
    # the sweep sends it later (core/tasks.py).
    transaction.on_commit(lambda: send_answer(ping.pk))
    # 303 See Other: the browser follows it with a GET, so a reload never re-posts.
    response = HttpResponseRedirect(f"/?ping={ping.pk}")
    response.status_code = 303
    return response


@require_GET
def ping_status(request: HttpRequest, ping_id: int) -> JsonResponse:
    ping = get_object_or_404(Ping, pk=ping_id)
    return JsonResponse(
        {
            "id": ping.pk,
            "requested_at": ping.requested_at,
            "answered_at": ping.answered_at,
            "answered_by": ping.answered_by,
        }
    )
