from django.apps import AppConfig


# Not named `fhir`: that would hide the `fhir.resources` namespace package the tests validate with.
class FhirR4Config(AppConfig):
    name = "fhir_r4"
    verbose_name = "FHIR R4"
