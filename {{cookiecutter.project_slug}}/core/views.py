from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import health
from .models import PeriodicRun, Ping
from .tasks import answer_ping


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "pings": Ping.objects.all()[:5],
        "highlighted_ping": request.GET.get("ping", ""),
        "last_heartbeat": PeriodicRun.objects.filter(job="heartbeat").first(),
    }
    return render(request, "core/home.html", context)


@require_POST
def request_ping(request: HttpRequest) -> HttpResponse:
    ping = Ping.objects.create()
    # Enqueue once the row is committed (at once under autocommit), so the worker
    # never looks for a row it cannot see yet, even with ATOMIC_REQUESTS on.
    transaction.on_commit(lambda: answer_ping.delay(ping.pk))
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


@never_cache
@require_GET
def health_report(request: HttpRequest) -> JsonResponse:
    """Each dependency's state; 503 if any is down, so a monitor can alert on it."""
    report = health.report()
    return JsonResponse(report, status=200 if report["ok"] else 503)
