"""Mounted at /fhir/r4/ (telesante/urls.py). FHIR ids allow letters, digits, `-` and `.`, up to 64."""

from django.urls import path, re_path

from . import views

app_name = "fhir_r4"

urlpatterns = [
    path("metadata", views.CapabilityStatementView.as_view(), name="metadata"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)$", views.SearchView.as_view(), name="search"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<resource_id>[^/]+)$", views.ReadView.as_view(), name="read"),
    re_path(r"^(?P<rest>.*)$", views.UnknownPathView.as_view(), name="unknown"),
]
