"""The portal's URLs plus the baseline: a bare Django view returning a small JSON document."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def baseline(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Hello, World!"})


urlpatterns = [
    path("bench/baseline/", baseline, name="bench_baseline"),
    path("", include("telesante.urls")),
]
