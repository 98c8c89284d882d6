from django.urls import path

from . import views

urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/export.csv", views.dashboard_csv, name="dashboard_csv"),
    path("tableau-de-bord/echecs/<str:kind>/", views.failure_list, name="dashboard_failures"),
    path("api/v1/dashboard/summary/", views.DashboardSummaryView.as_view(), name="api_dashboard_summary"),
    path("api/v1/dashboard/failures/", views.DashboardFailuresView.as_view(), name="api_dashboard_failures"),
]
