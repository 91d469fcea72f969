from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from groundwork.logins import refuse_locked_out

admin.site.site_header = admin.site.site_title = settings.PROJECT_NAME

urlpatterns = [
    # Before the admin's own patterns: its login page, refused while locked out.
    path(f"{settings.ADMIN_URL}login/", refuse_locked_out(admin.site.login)),
    path(settings.ADMIN_URL, admin.site.urls),
    # Log in, log out and reset a forgotten password, in the admin's templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("groundwork.urls")),
    path("", include("core.urls")),  # demo
]

# Locally (DEBUG), uploaded files are served from MEDIA_ROOT; in production from
# the bucket, through signed links (nothing is added here then).
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
