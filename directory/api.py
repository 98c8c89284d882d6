"""API of the directory: token, who am I, my clinics, patients. As thin as the pages."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditEvent
from audit.services import record
from common.errors import Invalid, NotAllowed

from .models import Clinic, ClinicMembership, Patient, User
from .nam import normalize as normalize_nam
from .permissions import Capability, access_patient, clinics_where, patients_visible_to
from .selectors import record_patient_listing, search_patients
from .services import PATIENT_EDITABLE_FIELDS, register_patient, update_patient
from .views import SEARCH_RESULT_LIMIT, locked_out


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenView(APIView):
    """Exchange a username and password for an API token (lockout applies as on the login page)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Axes marks the Django request, not DRF's wrapper.
        django_request = request._request
        user = authenticate(django_request, **credentials.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            return locked_out(django_request)
        if user is None:
            raise Invalid(_("Wrong username or password."), code="invalid_credentials")
        token, _created = Token.objects.get_or_create(user=user)
        record(actor=user, action=AuditEvent.Action.TOKEN_ISSUED)
        return Response({"token": token.key})


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


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.prefetch_related("memberships__clinic__installation__establishment").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


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


@extend_schema(
    parameters=[OpenApiParameter("search", str, description="Name, file number or NAM (send it, never log it).")]
)
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

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        record_patient_listing(
            request.user, page, query_kind="search" if request.query_params.get("search") else "list"
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=inline_serializer("PatientSearch", {"query": serializers.CharField(max_length=100)}),
        responses=PatientSerializer(many=True),
    )
    @action(detail=False, methods=["post"])
    def search(self, request):
        """Search by name, file number or NAM in the body, so the words never land in a URL or a log."""
        query = serializers.CharField(max_length=100).run_validation(request.data.get("query", ""))
        patients = search_patients(request.user, query, limit=SEARCH_RESULT_LIMIT)
        return Response(self.get_serializer(patients, many=True).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clinic = self._clinic_for_registration(serializer.validated_data.pop("clinic", None))
        result = register_patient(by=request.user, clinic=clinic, details=serializer.validated_data)
        return Response(self.get_serializer(result.patient).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        patient = self.get_object()
        serializer = self.get_serializer(patient, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("clinic", None)
        result = update_patient(patient, by=request.user, details=serializer.validated_data)
        return Response(self.get_serializer(result.patient).data)

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
