from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health


@never_cache
@require_GET
def health_report(request: HttpRequest) -> JsonResponse:
    """Each dependency's state; 503 if any is down, so a monitor can alert on it."""
    report = health.report()
    response = JsonResponse(report, status=200 if report["ok"] else 503)
    # What failed is logged once per check run (groundwork/health.py), not per request.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
