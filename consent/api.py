"""Consents in the API: read the scripts, record an answer, record a withdrawal; never change or delete
(a withdrawal is a new record)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.errors import Invalid
from directory.api import refusals
from directory.models import Language
from directory.permissions import Capability, access_patient, patients_visible_to

from .models import ConsentKind, ConsentRecord, ConsentScript
from .services import record_consent, withdraw_consent


@extend_schema_field({"type": "string", "enum": ConsentKind.values}, component_name="ConsentKindEnum")
class ConsentKindField(serializers.ChoiceField):
    """What the consent is for; one enum in the schema, however many serializers carry it."""

    def __init__(self, **kwargs):
        super().__init__(choices=ConsentKind.choices, **kwargs)


class ConsentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id")
    appointment = serializers.UUIDField(source="appointment_id", required=False, allow_null=True)
    kind = ConsentKindField()
    party = serializers.ChoiceField(choices=ConsentRecord.Party.choices, default="patient")
    method = serializers.ChoiceField(choices=ConsentRecord.Method.choices, default="verbal")
    language = serializers.ChoiceField(
        choices=Language.choices, help_text="Language the script was read in (its current version is recorded)."
    )
    granted = serializers.BooleanField(required=False, help_text="True: consents; false: refuses.")
    withdraw = serializers.BooleanField(
        required=False, default=False, write_only=True, help_text="Kept for older clients: prefer …/withdraw/."
    )
    warning_read = serializers.BooleanField(required=False, default=False)
    decision = serializers.ChoiceField(choices=ConsentRecord.Decision.choices, read_only=True)
    script_version = serializers.IntegerField(read_only=True, allow_null=True)
    given_at = serializers.DateTimeField(read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)


class WithdrawalSerializer(serializers.Serializer):
    patient = serializers.UUIDField(help_text="Public id of the patient.")
    kind = ConsentKindField()
    method = serializers.ChoiceField(choices=ConsentRecord.Method.choices, default="verbal")


class ConsentScriptSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = ConsentKindField(read_only=True)

    class Meta:
        model = ConsentScript
        fields = ["id", "kind", "language", "version", "text"]


class ConsentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ConsentSerializer
    queryset = ConsentRecord.objects.none()  # describes the model to the schema; get_queryset scopes it
    lookup_field = "public_id"

    def get_queryset(self):
        records = ConsentRecord.objects.filter(patient__in=patients_visible_to(self.request.user))
        if self.request.query_params.get("patient"):
            patient = access_patient(self.request.user, self.request.query_params["patient"], audited=False)
            records = records.filter(patient=patient)
        return records.select_related("patient", "recorded_by").latest_first()

    @extend_schema(
        parameters=[OpenApiParameter("patient", str, description="Public id of the patient.")],
        responses={200: ConsentSerializer(many=True), **refusals(400, 404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: ConsentSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={201: ConsentSerializer, **refusals(400, 403, 404)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = access_patient(request.user, data["patient"]["public_id"], capability=Capability.RECORD_CONSENT)
        if data["withdraw"]:
            consent = withdraw_consent(by=request.user, patient=patient, kind=data["kind"], method=data["method"])
        else:
            if "granted" not in data:
                raise Invalid(_("Say whether the patient consents (granted true) or refuses (false)."), field="granted")
            consent = record_consent(
                by=request.user,
                patient=patient,
                kind=data["kind"],
                granted=data["granted"],
                language=data["language"],
                method=data["method"],
                party=data["party"],
                appointment_id=data.get("appointment_id"),
                warning_read=data["warning_read"],
            )
        return Response(self.get_serializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawalSerializer, responses={201: ConsentSerializer, **refusals(400, 403, 404)})
    @action(detail=False, methods=["post"])
    def withdraw(self, request):
        """The patient takes a consent back: a new record; refused (400) when none is in force."""
        body = WithdrawalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        patient = access_patient(request.user, data["patient"], capability=Capability.RECORD_CONSENT)
        consent = withdraw_consent(by=request.user, patient=patient, kind=data["kind"], method=data["method"])
        return Response(self.get_serializer(consent).data, status=status.HTTP_201_CREATED)


class ConsentScriptViewSet(viewsets.ReadOnlyModelViewSet):
    """The scripts read to the patient before recording an answer: the current version of each kind and
    language (the version read is recorded with the answer)."""

    serializer_class = ConsentScriptSerializer
    queryset = ConsentScript.objects.none()  # describes the model to the schema; get_queryset picks them
    lookup_field = "public_id"

    def get_queryset(self):
        scripts = ConsentScript.objects.all()
        params = self.request.query_params
        if self.action == "list":
            current = [
                script.pk
                for kind in ConsentKind.values
                for language in Language.values
                if (script := ConsentScript.objects.current(kind, language)) is not None
            ]
            scripts = scripts.filter(pk__in=current)
            if params.get("kind") in ConsentKind.values:
                scripts = scripts.filter(kind=params["kind"])
            if params.get("language") in Language.values:
                scripts = scripts.filter(language=params["language"])
        return scripts.order_by("kind", "language", "-version")

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=ConsentKind.values, description="Only this kind."),
            OpenApiParameter("language", str, enum=Language.values, description="Only this language."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: ConsentScriptSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
