from django.urls import path

from bench.floor.views import floor, healthz

urlpatterns = [
    path("floor/", floor),
    # The bench waits on /readyz before loading a server.
    path("readyz", healthz),
]
