from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("pings/", views.request_ping, name="request-ping"),
    path("pings/<int:ping_id>/", views.ping_status, name="ping-status"),
]
