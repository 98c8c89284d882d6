from django.urls import path

from . import views

urlpatterns = [
    path("patients/<uuid:patient_id>/consentement/", views.panel, name="consent_panel"),
    path("patients/<uuid:patient_id>/consentement/retrait/", views.withdraw, name="consent_withdraw"),
]
