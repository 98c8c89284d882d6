from django.urls import path

from . import views

urlpatterns = [
    path("rendez-vous/<uuid:appointment_id>/note/", views.note_start, name="note_start"),
    path("notes/<uuid:public_id>/", views.note_detail, name="note_detail"),
    path("notes/<uuid:public_id>/rediger/", views.note_edit, name="note_edit"),
    path("notes/<uuid:public_id>/addenda/", views.note_addendum, name="note_addendum"),
    path("notes/<uuid:public_id>/pdf/", views.note_pdf, name="note_pdf"),
    path("archives/", views.review_queue, name="review_queue"),
    path("archives/lot/", views.review_batch, name="review_batch"),
    path("archives/<uuid:public_id>/", views.review_document, name="review_document"),
    path("archives/<uuid:public_id>/pdf/", views.review_pdf, name="review_pdf"),
    path("mes-documents-retournes/", views.returned_to_me, name="returned_to_me"),
]
