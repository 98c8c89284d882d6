"""One exception handler for the whole API: typed errors and validation errors become clear JSON."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import PortalError


def exception_handler(exc, context):
    if isinstance(exc, PortalError):
        body = {"code": exc.code, "detail": str(exc.message)}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def validation_error_body(exc: DjangoValidationError) -> dict:
    """Shape a model validation error like DRF's own: field name to a list of sentences."""
    if hasattr(exc, "error_dict"):
        errors = {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    else:
        errors = {"non_field_errors": [str(m) for m in exc.messages]}
    return errors
