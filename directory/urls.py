from django.urls import path

from . import emergency_views, sign_in_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("connexion/code/", sign_in_views.login_code, name="login_code"),
    path("connexion/configurer-code/", sign_in_views.login_enrol, name="login_enrol"),
    path("connexion/reseau/", sign_in_views.sso_start, name="sso_start"),
    path("connexion/reseau/retour/", sign_in_views.sso_callback, name="sso_callback"),
    # Before the admin's own sign-in form, which knows nothing of the second factor.
    path("admin/login/", sign_in_views.admin_login, name="admin_login_redirect"),
    path("compte/", sign_in_views.account, name="account"),
    path("compte/codes-de-recuperation/", sign_in_views.recovery_codes_renew, name="recovery_codes_renew"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("langue/", views.set_language, name="set_language"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/nouveau/", views.patient_create, name="patient_create"),
    path("patients/<uuid:public_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<uuid:public_id>/modifier/", views.patient_edit, name="patient_edit"),
    path("patients/<uuid:public_id>/historique/", views.patient_history, name="patient_history"),
    path("patients/acces-urgence/", emergency_views.emergency_access_request, name="emergency_access_request"),
    path("acces-urgence/", emergency_views.emergency_access_list, name="emergency_access_list"),
    path("acces-urgence/<uuid:public_id>/", emergency_views.emergency_access_review, name="emergency_access_review"),
]
