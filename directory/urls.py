from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("langue/", views.set_language, name="set_language"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/nouveau/", views.patient_create, name="patient_create"),
    path("patients/<uuid:public_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<uuid:public_id>/modifier/", views.patient_edit, name="patient_edit"),
    path("patients/<uuid:public_id>/historique/", views.patient_history, name="patient_history"),
]
