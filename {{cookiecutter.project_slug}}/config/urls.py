from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("groundwork.urls")),
    # The demo: the home page and its pings.
    path("", include("core.urls")),
]
