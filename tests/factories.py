"""Factories for the directory: a clinic with its establishment, staff with roles, patients with valid NAMs."""

from datetime import date

import factory

from directory import nam
from directory.models import Clinic, ClinicMembership, Establishment, Installation, Patient, User

PASSWORD = "un-mot-de-passe-solide"


class EstablishmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Establishment

    name = factory.Sequence(lambda n: f"CISSS de test {n}")


class InstallationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Installation

    establishment = factory.SubFactory(EstablishmentFactory)
    name = factory.Sequence(lambda n: f"Hôpital {n}")


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    installation = factory.SubFactory(InstallationFactory)
    name = factory.Sequence(lambda n: f"Clinique d'oncologie {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"personne{n}")
    last_name = "Tremblay"
    first_name = "Julie"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff(clinic: Clinic, role: str = ClinicMembership.Role.PROFESSIONAL, **fields) -> User:
    user = UserFactory(**fields)
    ClinicMembership.objects.create(user=user, clinic=clinic, role=role)
    return user


_file_numbers = iter(range(100000, 999999))


def patient(clinic: Clinic, **fields) -> Patient:
    """A valid patient of the clinic's establishment, followed by the clinic (with a NAM that checks out)."""
    values = {
        "last_name": "Côté",
        "first_name": "Louise",
        "date_of_birth": date(1958, 3, 14),
        "sex": "F",
        "phone": "+14505550101",
        "file_number": str(next(_file_numbers)),
        **fields,
    }
    if "nam" not in fields:
        values["nam"] = nam.build(values["last_name"], values["first_name"], values["date_of_birth"], values["sex"])
    created = Patient(establishment=clinic.establishment, **values)
    created.full_clean()
    created.save()
    created.clinics.add(clinic)
    return created
