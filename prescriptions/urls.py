from django.urls import path

from . import views

urlpatterns = [
    path("patients/<uuid:patient_id>/ordonnances/", views.patient_prescriptions, name="patient_prescriptions"),
    path("patients/<uuid:patient_id>/ordonnances/nouvelle/", views.prescription_start, name="prescription_start"),
    path("ordonnances/<uuid:public_id>/", views.prescription_detail, name="prescription_detail"),
    path("ordonnances/<uuid:public_id>/rediger/", views.prescription_edit, name="prescription_edit"),
    path("ordonnances/<uuid:public_id>/destinataires/", views.recipient_options, name="recipient_options"),
    path("ordonnances/<uuid:public_id>/destinataire/", views.recipient_choose, name="recipient_choose"),
    path("ordonnances/<uuid:public_id>/abandonner/", views.prescription_discard, name="prescription_discard"),
    path("ordonnances/<uuid:public_id>/pdf/", views.prescription_pdf_download, name="prescription_pdf"),
    path("ordonnances/<uuid:public_id>/envois/", views.prescription_transmit, name="prescription_transmit"),
    path("envois/", views.transmission_board, name="transmission_board"),
    path("envois/rapports/", views.report_inbound, name="transmission_reports"),
    path("envois/<uuid:public_id>/reprendre/", views.transmission_retry, name="transmission_retry"),
    path("envois/<uuid:public_id>/annuler/", views.transmission_cancel, name="transmission_cancel"),
    path("document/<str:token>/", views.patient_download, name="patient_download"),
]
