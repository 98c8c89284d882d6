"""API of the emergency access (break-the-glass): a professional looks up and opens a record outside her
clinics with a reason; the archivists of the patient's establishment list and review the grants."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.errors import NotAllowed, NotFound

from .api import refusals
from .models import EmergencyAccess, Patient
from .permissions import (
    Capability,
    access_emergency_access,
    can_request_emergency_access,
    emergency_accesses_reviewable_by,
    has_capability,
)
from .selectors import readings_under, record_patient_listing, records_outside_clinics
from .services import request_emergency_access, review_emergency_access


class EmergencyAccessSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    user_name = serializers.SerializerMethodField()
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    patient_file_number = serializers.CharField(source="patient.file_number", read_only=True)
    patient_name = serializers.CharField(source="patient.__str__", read_only=True)
    status = serializers.SerializerMethodField()
    reviewed_by = serializers.CharField(source="reviewed_by.username", read_only=True, default=None)

    class Meta:
        model = EmergencyAccess
        fields = [
            "public_id",
            "user",
            "user_name",
            "patient",
            "patient_file_number",
            "patient_name",
            "reason",
            "granted_at",
            "expires_at",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = fields

    def get_user_name(self, grant) -> str:
        return grant.user.get_full_name()

    def get_status(self, grant) -> str:
        return "reviewed" if grant.is_reviewed else "to_review"


class EmergencyAccessRequestSerializer(serializers.Serializer):
    patient = serializers.UUIDField(help_text="The record, as `lookup` returned it.")
    # Left to the service, so that a missing and a too short reason get the same clear sentence.
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EmergencyLookupSerializer(serializers.Serializer):
    query = serializers.CharField(max_length=100, help_text="An exact NAM or file number.")


class EmergencyReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class EmergencyAccessViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Grants of emergency access. Professionals: `lookup` then create. Archivists: list, retrieve, review."""

    serializer_class = EmergencyAccessSerializer
    queryset = EmergencyAccess.objects.none()
    lookup_field = "public_id"

    def get_queryset(self):
        if not has_capability(self.request.user, Capability.REVIEW_EMERGENCY_ACCESS):
            raise NotAllowed()
        grants = emergency_accesses_reviewable_by(self.request.user).for_listing()
        wanted = self.request.query_params.get("status")
        if wanted == "to_review":
            grants = grants.to_review()
        elif wanted == "reviewed":
            grants = grants.filter(reviewed_at__isnull=False)
        return grants

    def get_object(self):
        return access_emergency_access(self.request.user, self.kwargs["public_id"])

    @extend_schema(responses={200: EmergencyAccessSerializer(many=True), **refusals(403)})
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        record_patient_listing(request.user, [grant.patient for grant in page], query_kind="emergency_accesses")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: EmergencyAccessSerializer, **refusals(404)})
    def retrieve(self, request, *args, **kwargs):
        grant = self.get_object()
        record_patient_listing(request.user, [grant.patient], query_kind="emergency_access")
        data = self.get_serializer(grant).data
        data["readings"] = [
            {"occurred_at": event.occurred_at, "action": event.action} for event in readings_under(grant)
        ]
        return Response(data)

    @extend_schema(
        request=EmergencyAccessRequestSerializer,
        responses={201: EmergencyAccessSerializer, **refusals(400, 403, 404, 409)},
    )
    def create(self, request, *args, **kwargs):
        """Open the record for EMERGENCY_ACCESS_HOURS, read only; the reason is required and audited."""
        if not can_request_emergency_access(request.user):
            raise NotAllowed(_("Only a nurse or a physician may open a record in an emergency."))
        body = EmergencyAccessRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = Patient.objects.filter(public_id=body.validated_data["patient"]).first()
        if patient is None:
            raise NotFound()
        grant = request_emergency_access(by=request.user, patient=patient, reason=body.validated_data["reason"])
        return Response(self.get_serializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EmergencyLookupSerializer,
        responses={
            200: inline_serializer(
                "EmergencyLookup",
                {"matches": serializers.ListField(child=serializers.UUIDField())},
            ),
            **refusals(400, 403),
        },
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def lookup(self, request):
        """The records outside your clinics matching exactly this NAM or file number: their ids, nothing else."""
        if not can_request_emergency_access(request.user):
            raise NotAllowed(_("Only a nurse or a physician may open a record in an emergency."))
        body = EmergencyLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        matches = records_outside_clinics(request.user, body.validated_data["query"])
        return Response({"matches": [patient.public_id for patient in matches]})

    @extend_schema(request=EmergencyReviewSerializer, responses={200: EmergencyAccessSerializer, **refusals(400, 404)})
    @action(detail=True, methods=["post"])
    def review(self, request, public_id=None):
        grant = self.get_object()
        body = EmergencyReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reviewed = review_emergency_access(grant, by=request.user, comment=body.validated_data["comment"])
        return Response(self.get_serializer(reviewed).data)
