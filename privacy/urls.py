from django.urls import path

from . import views

urlpatterns = [
    path("confidentialite/", views.privacy_notice, name="privacy_notice"),
    path("confidentialite/communications/", views.communications_register, name="communications_register"),
    path("confidentialite/communications/export.csv", views.communications_export, name="communications_export"),
    path("patients/<uuid:public_id>/export/", views.patient_export, name="patient_export"),
]
