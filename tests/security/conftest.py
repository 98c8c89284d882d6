from tests.prescriptions.conftest import directory, physician, secure_domain  # noqa: F401  (shared fixtures)
