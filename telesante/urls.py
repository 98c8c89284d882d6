from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from health_check.views import HealthCheckView
from redis.asyncio import Redis
from rest_framework.routers import DefaultRouter

from consent import api as consent_api
from directory import api as directory_api
from directory import emergency_api
from documentation import api as documentation_api
from prescriptions import api as prescriptions_api
from scheduling import api as scheduling_api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("clinics", directory_api.ClinicViewSet, basename="clinic")
router.register("patients", directory_api.PatientViewSet, basename="patient")
router.register("emergency-accesses", emergency_api.EmergencyAccessViewSet, basename="emergency-access")
router.register("appointments", scheduling_api.AppointmentViewSet, basename="appointment")
router.register("consents", consent_api.ConsentViewSet, basename="consent")
router.register("consent-scripts", consent_api.ConsentScriptViewSet, basename="consent-script")
router.register("notes", documentation_api.NoteViewSet, basename="note")
router.register("documents", documentation_api.DocumentViewSet, basename="document")
router.register("prescriptions", prescriptions_api.PrescriptionViewSet, basename="prescription")
router.register("transmissions", prescriptions_api.TransmissionViewSet, basename="transmission")
router.register("recipients", prescriptions_api.RecipientViewSet, basename="recipient")

api_v1 = [
    path("auth/token/", directory_api.TokenView.as_view(), name="api_token"),
    path("me/", directory_api.MeView.as_view(), name="api_me"),
    *router.urls,
]

health_checks = ["health_check.checks.Database", "health_check.checks.Storage"]
if settings.CELERY_BROKER_URL.startswith("redis"):
    health_checks.append(
        (
            "health_check.contrib.redis.Redis",
            {"client_factory": lambda: Redis.from_url(settings.CELERY_BROKER_URL)},
        )
    )

urlpatterns = [
    path("", include("directory.urls")),
    path("", include("consent.urls")),
    path("", include("scheduling.urls")),
    path("", include("documentation.urls")),
    path("", include("prescriptions.urls")),
    path("", include("privacy.urls")),
    path("", include("dashboards.urls")),
    path("fhir/r4/", include("fhir_r4.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("health/", HealthCheckView.as_view(checks=health_checks), name="health"),
]

# The generic 500 page, except a database out of reach, which is a 503 with Retry-After (common.middleware).
handler500 = "common.middleware.server_error"

admin.site.site_header = "Télésanté"
admin.site.site_title = "Télésanté"
