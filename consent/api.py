"""Consents in the API: read and record; never change or delete (a withdrawal is a new record)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from common.errors import Invalid
from directory.permissions import Capability, access_patient, patients_visible_to

from .models import ConsentKind, ConsentRecord
from .services import record_consent, withdraw_consent


class ConsentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id")
    appointment = serializers.UUIDField(source="appointment_id", required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ConsentKind.choices)
    party = serializers.ChoiceField(choices=ConsentRecord.Party.choices, default="patient")
    method = serializers.ChoiceField(choices=ConsentRecord.Method.choices, default="verbal")
    language = serializers.ChoiceField(choices=["fr", "en"])
    granted = serializers.BooleanField(required=False, help_text="True: consents; false: refuses.")
    withdraw = serializers.BooleanField(required=False, default=False, write_only=True)
    warning_read = serializers.BooleanField(required=False, default=False)
    decision = serializers.CharField(read_only=True)
    script_version = serializers.IntegerField(read_only=True)
    given_at = serializers.DateTimeField(read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)


@extend_schema(parameters=[OpenApiParameter("patient", str, description="Public id of the patient.")])
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
