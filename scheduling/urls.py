from django.urls import path

from . import views

urlpatterns = [
    path("agenda/", views.agenda_page, name="agenda"),
    path("patients/<uuid:patient_id>/rendez-vous/", views.book, name="book_appointment"),
    path("rendez-vous/<uuid:public_id>/", views.appointment_detail, name="appointment_detail"),
    path("rendez-vous/<uuid:public_id>/ligne/", views.appointment_row, name="appointment_row"),
    path("rendez-vous/<uuid:public_id>/annuler/", views.cancel, name="appointment_cancel"),
    path("rendez-vous/<uuid:public_id>/deplacer/", views.reschedule, name="appointment_reschedule"),
    path("rendez-vous/<uuid:public_id>/issue/", views.outcome, name="appointment_outcome"),
    path("rendez-vous/<uuid:public_id>/reessayer/", views.retry, name="appointment_retry"),
    path("rendez-vous/<uuid:public_id>/enregistre/", views.recorded, name="appointment_recorded"),
]
