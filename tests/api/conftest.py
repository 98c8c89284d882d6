"""The prescriber and the directory of recipients of the prescriptions' tests, for the API's tests too."""

from tests.prescriptions.conftest import directory, physician, secure_domain  # noqa: F401  (fixtures)
