"""The FHIR R4 endpoints: read by id, search by patient and date, and the CapabilityStatement.

Thin on purpose: parse the parameters (`search.py`), fetch through the apps' permission functions
(`selectors.py`), map (`resources.py`), answer. Authentication is the REST API's (token or session),
and every error, ours or DRF's, goes out as an OperationOutcome.
"""

import importlib
import logging
import math
from functools import cache
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from pydantic import ValidationError
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.mediatypes import media_type_matches, order_by_precedence
from rest_framework.views import APIView

from audit.models import AuditEvent
from audit.services import record
from common.errors import Invalid, NotFound, PortalError
from directory.models import Patient, User
from directory.permissions import access_patient
from directory.selectors import record_patient_listing
from scheduling.permissions import access_appointment

from .resources import MAPPERS, Resource, capability_statement, operation_outcome, search_bundle
from .search import date_condition, parse_count, parse_page, parse_patient_reference, parse_uuid
from .selectors import RESOURCE_KINDS, ResourceKind

logger = logging.getLogger(__name__)

# Parameters every search accepts besides the type's own (see ResourceKind.search_parameters).
COMMON_PARAMETERS = {"_count", "page", "_format", "_pretty"}


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir+json"
    charset = "utf-8"


class PlainJsonRenderer(JSONRenderer):
    """For clients that ask for application/json: the same body, under the type they asked for."""


class FhirContentNegotiation(BaseContentNegotiation):
    """FHIR's `_format` first, then the Accept header; JSON only (no FHIR XML here)."""

    FORMATS = {
        "json": FhirJsonRenderer,
        "fhir+json": FhirJsonRenderer,
        "application/fhir+json": FhirJsonRenderer,
        "application/json": PlainJsonRenderer,
    }

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        asked = request.query_params.get("_format")
        if asked is not None:
            # An unencoded `+` (application/fhir+json) arrives as a space.
            wanted = self.FORMATS.get(asked.strip().replace(" ", "+"))
            for renderer in renderers:
                if wanted is not None and type(renderer) is wanted:
                    return renderer, renderer.media_type
            raise exceptions.NotAcceptable(_("Only JSON is served here: use _format=json."))
        header = request.META.get("HTTP_ACCEPT", "*/*")
        accepted = [token.strip() for token in header.split(",") if token.strip()] or ["*/*"]
        for media_types in order_by_precedence(accepted):
            for renderer in renderers:
                if any(media_type_matches(renderer.media_type, media_type) for media_type in media_types):
                    return renderer, renderer.media_type
        raise exceptions.NotAcceptable(_("Only JSON is served here: accept application/fhir+json."))


ISSUE_CODES = {"not_found": "not-found", "not_supported": "not-supported", "not_allowed": "forbidden"}
API_ISSUE_CODES = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 406: "not-supported"}


class ResourceNotValid(Exception):
    """A mapper built something the R4B models refuse: a bug of the portal, never of the client."""


def fhir_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error as an OperationOutcome, with the status and headers DRF would give it."""
    headers: dict[str, str] = {}
    if isinstance(exc, PortalError):
        status, code, diagnostics = exc.status_code, ISSUE_CODES.get(exc.code, "invalid"), exc.message
    elif isinstance(exc, Http404):
        status, code, diagnostics = 404, "not-found", _("Not found.")
    elif isinstance(exc, exceptions.APIException):
        status, diagnostics = exc.status_code, exc.detail
        code = API_ISSUE_CODES.get(status, "throttled" if status == 429 else "invalid")
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(math.ceil(exc.wait))
    elif isinstance(exc, ResourceNotValid):
        status, code = 500, "exception"
        diagnostics = _("The portal could not build a valid FHIR resource; the team has been told.")
    else:
        return None
    return Response(operation_outcome(code, str(diagnostics)), status=status, headers=headers)


@cache
def r4b_model(resource_type: str) -> type:
    # Imported on the first call only: the R4B models weigh about 30 MB and a quarter of a second.
    return getattr(importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}"), resource_type)


def validated(resource: Resource) -> Resource:
    """Check the answer against the R4B models before it leaves (FHIR_VALIDATE_RESPONSES, on by default).

    Measured: about 0.5 ms a resource (a page of 25 appointments, 17 ms unchecked, takes 12 to 20 ms
    more; a Patient read, 0.5 ms more), and the models' first import. Worth it: a mapping bug on
    unusual data becomes a logged 500 here rather than a malformed record in the hospital's system.
    The log names the failing elements only, never their values, which may be health information.
    """
    if getattr(settings, "FHIR_VALIDATE_RESPONSES", True):
        try:
            r4b_model(resource["resourceType"]).model_validate(resource)
        except ValidationError as error:
            places = [(".".join(str(part) for part in problem["loc"]), problem["type"]) for problem in error.errors()]
            logger.error("FHIR %s refused by the R4B models: %s", resource["resourceType"], places)
            raise ResourceNotValid(resource["resourceType"]) from None
    return resource


class FhirView(APIView):
    renderer_classes = [FhirJsonRenderer, PlainJsonRenderer]
    content_negotiation_class = FhirContentNegotiation
    http_method_names = ["get", "head"]

    def get_exception_handler(self):
        return fhir_exception_handler

    def get_renderer_context(self) -> dict[str, Any]:
        context = super().get_renderer_context()
        if self.request is not None and self.request.query_params.get("_pretty") == "true":
            context["indent"] = 2
        return context

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)


def kind_named(resource_type: str) -> ResourceKind:
    kind = RESOURCE_KINDS.get(resource_type)
    if kind is None:
        raise NotFound(
            _("This server does not serve %(type)s resources: its CapabilityStatement (metadata) lists those it does.")
            % {"type": resource_type[:64]},
            code="not_supported",
        )
    return kind


def not_found(resource_type: str, resource_id: str) -> NotFound:
    # The same sentence whether the row is missing or belongs to someone else's patients.
    return NotFound(
        _("There is no %(type)s %(id)s among the records you may see.") % {"type": resource_type, "id": resource_id}
    )


@extend_schema(exclude=True)  # described by its CapabilityStatement, not by the REST API's OpenAPI
class CapabilityStatementView(FhirView):
    authentication_classes: list = []
    permission_classes = [AllowAny]  # public, as FHIR clients read it before they sign in; no health data

    def get(self, request: Request) -> Response:
        base_url = self.absolute(reverse("fhir_r4:metadata")).removesuffix("metadata")
        statement = capability_statement(
            base_url=base_url,
            resources=[(name, kind.search_parameters()) for name, kind in RESOURCE_KINDS.items()],
        )
        return Response(validated(statement))


@extend_schema(exclude=True)
class ReadView(FhirView):
    """GET [type]/[id]: one resource, if the user may see it; 404 otherwise, whichever the reason."""

    def get(self, request: Request, resource_type: str, resource_id: str) -> Response:
        kind = kind_named(resource_type)
        condition = kind.id_condition(resource_id)
        user = request.user
        try:
            if kind.name == "Patient":
                row = access_patient(user, parse_uuid(resource_id, field="id"))  # audited there: PATIENT_VIEW
            elif kind.name == "Appointment":
                row = access_appointment(user, parse_uuid(resource_id, field="id"))  # audited: APPOINTMENT_VIEW
            else:
                row = kind.visible_to(user).filter(condition).first()
                if row is None:
                    raise NotFound()
                record(
                    actor=user,
                    action=AuditEvent.Action.PATIENT_VIEW,
                    target=kind.audit_target(row),
                    patient=kind.patient_of(row),
                    details={"fhir": f"{kind.name}/{resource_id}"},
                )
        except NotFound:
            raise not_found(kind.name, resource_id) from None
        return Response(validated(MAPPERS[kind.name](row, self.absolute)))


@extend_schema(exclude=True)
class SearchView(FhirView):
    """GET [type]?patient=&date=: a searchset Bundle of what the user may see, by pages."""

    def get(self, request: Request, resource_type: str) -> Response:
        kind = kind_named(resource_type)
        parameters = request.query_params
        allowed = COMMON_PARAMETERS | set(kind.search_parameters())
        for name in parameters:
            if name not in allowed:
                raise Invalid(
                    _("The search parameter “%(name)s” is not supported for %(type)s; supported: %(supported)s.")
                    % {"name": name[:64], "type": kind.name, "supported": ", ".join(sorted(allowed))},
                    code="not_supported",
                    field=name[:64],
                )
        count, page = parse_count(parameters.getlist("_count")), parse_page(parameters.getlist("page"))
        rows = kind.visible_to(request.user)
        if ids := parameters.getlist("_id"):
            rows = rows.filter(*[self.any_of(kind, value) for value in ids])
        if dates := parameters.getlist("date"):
            rows = rows.filter(date_condition(kind.date_field, dates))
        patient_id = self.patient_searched(parameters.getlist("patient")) if kind.patient_field else None
        patient = None
        if patient_id is not None:
            try:
                # Records PATIENT_ACCESS_DENIED for a patient the user does not cover, as the pages do.
                patient = access_patient(request.user, patient_id, audited=False)
            except NotFound:
                rows = rows.none()  # an empty Bundle: the same answer as for a patient with nothing
            else:
                rows = rows.filter(**{kind.patient_field: patient})
        total = rows.count()
        found = list(rows.order_by(*kind.ordering)[(page - 1) * count : page * count]) if count else []
        resources = [MAPPERS[kind.name](row, self.absolute) for row in found]
        bundle = validated(
            search_bundle(
                [(self.absolute(self.read_path(resource)), resource) for resource in resources],
                total=total,
                links=self.links(request, page=page, count=count, total=total),
                timestamp=timezone.now(),
            )
        )
        record_search(
            request.user,
            kind,
            patient_searched=patient_id is not None,
            patient=patient,
            found=found,
            resource_ids=[resource["id"] for resource in resources],
        )
        return Response(bundle)

    @staticmethod
    def any_of(kind: ResourceKind, value: str) -> Q:
        """`_id=a,b`: either resource."""
        condition = Q(pk__in=[])
        for text in value.split(","):
            condition |= kind.id_condition(text)
        return condition

    @staticmethod
    def patient_searched(values: list[str]) -> UUID | None:
        if not values:
            return None
        if len(values) > 1 or "," in values[0]:
            raise Invalid(_("Search one patient at a time."), field="patient")
        return parse_patient_reference(values[0])

    @staticmethod
    def read_path(resource: Resource) -> str:
        return reverse("fhir_r4:read", args=[resource["resourceType"], resource["id"]])

    def links(self, request: Request, *, page: int, count: int, total: int) -> dict[str, str]:
        links = {"self": request.build_absolute_uri()}
        if not count:
            return links
        last = max(1, math.ceil(total / count))

        def at(number: int) -> str:
            query = request.query_params.copy()
            query["page"] = str(number)
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        links["first"] = at(1)
        if page > 1:
            links["previous"] = at(min(page - 1, last))
        if page < last:
            links["next"] = at(page + 1)
        links["last"] = at(last)
        return links


def record_search(
    user: User,
    kind: ResourceKind,
    *,
    patient_searched: bool,
    patient: Patient | None,
    found: list,
    resource_ids: list[str],
) -> None:
    """One audit event a search. A search in one patient's record reads it (PATIENT_VIEW, with the
    resources shown); a search across patients is a listing (PATIENT_SEARCH, with the patients shown).
    A patient the user does not cover was already recorded as denied, by access_patient."""
    query = f"fhir:{kind.name}"
    if patient is not None:
        record(
            actor=user,
            action=AuditEvent.Action.PATIENT_VIEW,
            target=patient,
            patient=patient,
            details={"query": query, "resources": resource_ids},
        )
    elif not patient_searched:
        shown = {row_patient.pk: row_patient for row_patient in map(kind.patient_of, found)}
        record_patient_listing(user, list(shown.values()), query_kind=query)


@extend_schema(exclude=True)
class UnknownPathView(FhirView):
    """Anything else under the FHIR base (history, operations, a trailing slash): a FHIR 404, not a page."""

    def get(self, request: Request, rest: str = "") -> Response:
        raise NotFound(
            _("This FHIR server answers [type]/[id], [type]?patient=&date= and metadata only."), code="not_supported"
        )
