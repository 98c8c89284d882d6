"""API of the directory: token, who am I, my clinics, patients. As thin as the pages."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.middleware import client_address
from audit.models import AuditEvent
from audit.services import record
from common.errors import Invalid, NotAllowed

from .models import Clinic, ClinicMembership, Language, Patient, User
from .nam import normalize as normalize_nam
from .permissions import Capability, access_patient, clinics_where, patients_visible_to
from .selectors import label_changed_fields, patient_access_history, record_patient_listing, search_patients
from .services import PATIENT_EDITABLE_FIELDS, choose_language, register_patient, update_patient
from .sign_in import address_retry_after, check_second_factor, has_second_factor
from .sign_in_views import count_failure
from .views import SEARCH_RESULT_LIMIT, locked_out


class PortalErrorSerializer(serializers.Serializer):
    """A refusal, as common.api.exception_handler writes it."""

    code = serializers.CharField(required=False, help_text="Stable code for programs, e.g. `not_signed`.")
    detail = serializers.CharField(help_text="A sentence for people, in the caller's language.")
    field = serializers.CharField(required=False, help_text="The field at fault, when there is one.")


_REFUSALS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description=(
            "Refused input: `{code, detail, field}` when a rule of the portal refuses it, or each field of a "
            'malformed body with its sentences (`{"field": ["..."]}`).'
        ),
    ),
    403: OpenApiResponse(PortalErrorSerializer, description="Not allowed for this person."),
    404: OpenApiResponse(
        PortalErrorSerializer, description="Missing, or outside what this person covers (the same answer)."
    ),
    409: OpenApiResponse(PortalErrorSerializer, description="Conflicts with the current state of the record."),
}


def refusals(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation, for `@extend_schema(responses={...})`."""
    return {status_code: _REFUSALS[status_code] for status_code in statuses}


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text=(
            "The current 6-digit code of the account's authenticator app, or one of its recovery codes (each works "
            "once). Required for every local account while SECOND_FACTOR_REQUIRED is on; without it the answer is "
            "400 with the code `second_factor_required`. The app is set up at the first sign-in on the web page."
        ),
    )


class TokenView(APIView):
    """Exchange a username and password for an API token (lockout applies as on the login page)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            **refusals(400),
            403: OpenApiResponse(
                PortalErrorSerializer,
                description="`second_factor_not_set_up`: the account has no authenticator app yet (set it up on "
                "the web page first).",
            ),
            429: OpenApiResponse(
                PortalErrorSerializer,
                description="Locked after repeated failures (`locked_out`), too many failures from this address "
                "(`too_many_failures`) or too many wrong codes (`wait_for_code`); `Retry-After` says for how long.",
            ),
        },
    )
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Axes marks the Django request, not DRF's wrapper.
        django_request = request._request
        retry_after = address_retry_after(client_address(django_request))
        if retry_after:
            return _too_many(_("Too many failed sign-ins from this connection."), "too_many_failures", retry_after)
        code = credentials.validated_data.pop("otp", "")
        if settings.SECOND_FACTOR_REQUIRED and not code:
            # Asked before the password is checked: the answer says nothing of whether the password was right.
            raise Invalid(
                _("Give the code of your authenticator app (or a recovery code) in the field otp."),
                code="second_factor_required",
                field="otp",
            )
        user = authenticate(django_request, **credentials.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            return locked_out(django_request)
        if user is None:
            raise Invalid(_("Wrong username or password."), code="invalid_credentials")
        if settings.SECOND_FACTOR_REQUIRED:
            if not has_second_factor(user):
                raise NotAllowed(
                    _("Set up your authenticator app by signing in on the portal's web page first."),
                    code="second_factor_not_set_up",
                )
            outcome = check_second_factor(user, code=code)
            if outcome.throttled:
                return _too_many(
                    _("Too many wrong codes: wait before trying again."), "wait_for_code", outcome.retry_after
                )
            if not outcome.accepted:
                count_failure(django_request, user)
                if getattr(django_request, "axes_locked_out", False):
                    return locked_out(django_request)
                raise Invalid(
                    _("This code is not right, or was already used."), code="invalid_second_factor", field="otp"
                )
        token, _created = Token.objects.get_or_create(user=user)
        record(actor=user, action=AuditEvent.Action.TOKEN_ISSUED)
        return Response({"token": token.key})


def _too_many(message: str, code: str, retry_after: int) -> Response:
    return Response(
        {"code": code, "detail": message},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(retry_after)},
    )


class ClinicSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    installation = serializers.CharField(source="installation.name", read_only=True)
    establishment = serializers.CharField(source="installation.establishment.name", read_only=True)

    class Meta:
        model = Clinic
        fields = ["id", "name", "installation", "establishment", "phone", "support_phone", "default_platform"]


class MembershipSerializer(serializers.ModelSerializer):
    clinic = ClinicSerializer(read_only=True)

    class Meta:
        model = ClinicMembership
        fields = ["role", "clinic"]


class MeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "profession",
            "practice_number",
            "preferred_language",
            "is_superuser",
            "memberships",
        ]


class MeUpdateSerializer(serializers.Serializer):
    preferred_language = serializers.ChoiceField(
        choices=Language.choices, required=False, help_text="Language of the interface and of the API's sentences."
    )


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(self._me(request.user))

    @extend_schema(request=MeUpdateSerializer, responses={200: MeSerializer, **refusals(400)})
    def patch(self, request):
        """Choose the interface language (as the language menu of the pages does)."""
        body = MeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "preferred_language" in body.validated_data:
            choose_language(request.user, language=body.validated_data["preferred_language"])
        return Response(self._me(request.user))

    def _me(self, user: User) -> dict:
        user = User.objects.prefetch_related("memberships__clinic__installation__establishment").get(pk=user.pk)
        return MeSerializer(user).data


class ClinicViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ClinicSerializer
    queryset = Clinic.objects.none()  # describes the model to the schema; get_queryset scopes it
    lookup_field = "public_id"

    def get_queryset(self):
        return Clinic.objects.with_structure().filter(memberships__user=self.request.user).distinct()


class PatientSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    establishment = serializers.CharField(source="establishment.name", read_only=True)
    clinic = serializers.UUIDField(
        write_only=True,
        required=False,
        help_text="Clinic that will follow a new patient; needed when you belong to several.",
    )
    nam = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="RAMQ number, spaces allowed."
    )
    # Checked by the model once normalized, so "j4r1b3" is accepted as J4R 1B3.
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    phone = PhoneNumberField(region="CA", required=False, allow_blank=True)
    alternative_phone = PhoneNumberField(region="CA", required=False, allow_blank=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "establishment",
            "clinic",
            *PATIENT_EDITABLE_FIELDS,
            "warnings",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"nam_check_digit_confirmed": {"write_only": True}}

    def validate_nam(self, value: str) -> str:
        return normalize_nam(value)

    def get_warnings(self, patient) -> list[str]:
        return [str(warning) for warning in patient.nam_warnings()]


class AccessEventSerializer(serializers.Serializer):
    """One line of a patient's access history: who saw or changed the record, when, from where."""

    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_username", help_text="Username; empty for the system.")
    actor_name = serializers.SerializerMethodField()
    action = serializers.ChoiceField(choices=AuditEvent.Action.choices)
    action_label = serializers.CharField(source="get_action_display")
    changed_fields = serializers.ListField(
        source="changed_labels", child=serializers.CharField(), help_text="Names of the fields a change touched."
    )
    channel = serializers.ChoiceField(choices=AuditEvent.Channel.choices)
    ip_address = serializers.IPAddressField(allow_null=True)

    def get_actor_name(self, event) -> str:
        return event.actor.get_full_name() if event.actor else ""


class PatientSearchSerializer(serializers.Serializer):
    query = serializers.CharField(max_length=100)


class PatientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PatientSerializer
    queryset = Patient.objects.none()  # describes the model to the schema; get_queryset scopes it
    lookup_field = "public_id"

    def get_queryset(self):
        patients = patients_visible_to(self.request.user).for_listing()
        search = self.request.query_params.get("search")
        return patients.search(search) if search else patients

    def get_object(self):
        capability = Capability.VIEW_PATIENT if self.request.method == "GET" else Capability.CHANGE_PATIENT
        return access_patient(self.request.user, self.kwargs["public_id"], capability=capability)

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Name, file number or NAM (better: POST …/search/).")]
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        record_patient_listing(
            request.user, page, query_kind="search" if request.query_params.get("search") else "list"
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: PatientSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={201: PatientSerializer, **refusals(400, 403)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clinic = self._clinic_for_registration(serializer.validated_data.pop("clinic", None))
        result = register_patient(by=request.user, clinic=clinic, details=serializer.validated_data)
        return Response(self.get_serializer(result.patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PatientSerializer, **refusals(400, 403, 404)})
    def update(self, request, *args, **kwargs):
        patient = self.get_object()
        serializer = self.get_serializer(patient, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("clinic", None)
        result = update_patient(patient, by=request.user, details=serializer.validated_data)
        return Response(self.get_serializer(result.patient).data)

    @extend_schema(responses={200: PatientSerializer, **refusals(400, 403, 404)})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        responses={200: AccessEventSerializer(many=True), **refusals(400, 403, 404)},
        parameters=[OpenApiParameter("page", int, description="A page number within the paginated result set.")],
    )
    @action(detail=True, methods=["get"])
    def history(self, request, public_id=None):
        """Who saw or changed this record, newest first (archivists; reading it is itself recorded)."""
        patient = access_patient(request.user, public_id, capability=Capability.VIEW_PATIENT_HISTORY)
        page = self.paginate_queryset(patient_access_history(request.user, patient))
        label_changed_fields(page)
        return self.get_paginated_response(AccessEventSerializer(page, many=True).data)

    @extend_schema(request=PatientSearchSerializer, responses={200: PatientSerializer(many=True), **refusals(400)})
    @action(detail=False, methods=["post"], pagination_class=None)
    def search(self, request):
        """Search by name, file number or NAM in the body, so the words never land in a URL or a log."""
        body = PatientSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patients = search_patients(request.user, body.validated_data["query"], limit=SEARCH_RESULT_LIMIT)
        return Response(self.get_serializer(patients, many=True).data)

    def _clinic_for_registration(self, clinic_id) -> Clinic:
        clinics = clinics_where(self.request.user, Capability.CREATE_PATIENT)
        if clinic_id is not None:
            clinic = clinics.filter(public_id=clinic_id).first()
            if clinic is None:
                raise Invalid(_("You cannot register patients in this clinic."), field="clinic")
            return clinic
        choices = list(clinics[:2])
        if not choices:
            raise NotAllowed(_("You cannot register patients."))
        if len(choices) > 1:
            raise Invalid(_("You belong to several clinics: say which one will follow the patient."), field="clinic")
        return choices[0]
