import importlib

import pytest
from rest_framework.test import APIClient

from directory.models import ClinicMembership
from telesante.celery import app

from . import factories
from .fakes.fixtures import fax_gateway, graph_fake, zoom_fake  # noqa: F401  (fixtures shared by every test folder)

Role = ClinicMembership.Role


@pytest.fixture
def clinic_a(db):
    return factories.ClinicFactory(name="Clinique A")


@pytest.fixture
def clinic_b(db):
    """Another clinic of another establishment."""
    return factories.ClinicFactory(name="Clinique B")


@pytest.fixture
def sister_clinic(clinic_a):
    """Another clinic of clinic A's own establishment and installation."""
    return factories.ClinicFactory(installation=clinic_a.installation, name="Radio-oncologie A")


@pytest.fixture
def nurse_a(clinic_a):
    return factories.staff(clinic_a, Role.PROFESSIONAL, username="infirmiere_a", profession="pivot_nurse_oncology")


@pytest.fixture
def nurse_b(clinic_b):
    return factories.staff(clinic_b, Role.PROFESSIONAL, username="infirmiere_b")


@pytest.fixture
def archivist_a(clinic_a):
    return factories.staff(clinic_a, Role.ARCHIVIST, username="archiviste_a", profession="archivist")


@pytest.fixture
def manager_a(clinic_a):
    return factories.staff(clinic_a, Role.MANAGER, username="gestionnaire_a", profession="manager")


@pytest.fixture
def administrator(db):
    return factories.UserFactory(username="administrateur", is_staff=True, is_superuser=True)


@pytest.fixture
def patient_a(clinic_a):
    return factories.patient(clinic_a)


@pytest.fixture
def patient_b(clinic_b):
    return factories.patient(clinic_b, last_name="Bélanger", first_name="Jean-Guy", sex="M")


@pytest.fixture
def api():
    return APIClient()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def celery_worker_thread(transactional_db):
    """A real Celery worker (not eager) in a thread, over the configured broker, on this run's queue."""
    from celery.contrib.testing.worker import start_worker

    from telesante.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20) as worker:
        yield worker


@pytest.fixture
def eager_workers(settings):
    """Tasks run in the caller (the unit tier); the worker tier uses a real worker (test_worker_*)."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture
def nurse(clinic_a):
    clinic_a.name = "Clinique d'oncologie A"
    clinic_a.phone = "+14504665050"
    clinic_a.support_phone = "+18445550199"
    clinic_a.save()
    return factories.staff(
        clinic_a,
        ClinicMembership.Role.PROFESSIONAL,
        username="ipo",
        first_name="Julie",
        last_name="Tremblay",
        email="julie.tremblay@ssss.gouv.qc.ca",
        profession="pivot_nurse_oncology",
    )


@pytest.fixture
def louise(clinic_a):
    return factories.patient(clinic_a, email="louise.cote@example.com", preferred_language="fr")


@pytest.fixture(autouse=True)
def shipped_consent_scripts(request):
    """The first consent scripts come from a data migration, and a transactional test's flush empties
    every table: put them back for each test that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if marker is None and not ({"db", "transactional_db", "live_server"} & set(request.fixturenames)):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    importlib.import_module("consent.migrations.0002_first_consent_scripts").add_first_versions(apps, None)
