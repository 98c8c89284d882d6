"""Appointments in the API, as thin as the pages: parse, call one service, answer."""

from datetime import datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.errors import Invalid
from directory.api import refusals
from directory.models import Clinic, Language, MeetingPlatform
from directory.permissions import Capability, access_patient, clinics_where
from directory.selectors import record_patient_listing

from .models import Appointment, Participant, Reason
from .permissions import access_appointment, appointments_visible_to
from .services import (
    BookingDetails,
    ParticipantDetails,
    book_appointment,
    cancel_appointment,
    flag_recorded,
    record_outcome,
    reschedule_appointment,
    retry_meeting_and_notices,
)


class ParticipantSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[Participant.Role.CAREGIVER, Participant.Role.PROFESSIONAL, Participant.Role.INTERPRETER]
    )
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, default="fr")
    interpretation_language = serializers.CharField(max_length=40, required=False, allow_blank=True)


class MeetingSerializer(serializers.Serializer):
    status = serializers.CharField(source="state")
    provider = serializers.CharField()
    join_url = serializers.CharField(help_text="The link for the guests; empty until the platform gives one.")
    host_url = serializers.CharField(help_text="The organizer's link, when the platform has one; else empty.")
    passcode = serializers.CharField()
    error = serializers.CharField(source="last_error")


class AppointmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id")
    clinic = serializers.UUIDField(source="clinic.public_id", required=False)
    start = serializers.DateTimeField(
        required=False, help_text="ISO 8601 with offset; ignored for an immediate meeting."
    )
    end = serializers.DateTimeField(read_only=True)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=240)
    kind = serializers.ChoiceField(choices=Appointment.Kind.choices, default="scheduled")
    modality = serializers.ChoiceField(choices=Appointment.Modality.choices, default="video")
    platform = serializers.ChoiceField(choices=MeetingPlatform.choices, required=False, allow_blank=True)
    pasted_link = serializers.URLField(required=False, allow_blank=True, write_only=True)
    reason = serializers.ChoiceField(choices=Reason.choices)
    reason_details = serializers.CharField(max_length=300, required=False, allow_blank=True)
    fallback_phone = PhoneNumberField(region="CA", required=False, allow_blank=True)
    internet_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    device_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    tablet_loan = serializers.ChoiceField(choices=["not_needed", "needed", "lent"], default="not_needed")
    participants = ParticipantSerializer(many=True, required=False, write_only=True)
    status = serializers.CharField(read_only=True)
    outcome_details = serializers.CharField(read_only=True)
    recorded = serializers.BooleanField(read_only=True, help_text="The meeting was recorded (with both consents).")
    organizer = serializers.CharField(source="organizer.username", read_only=True)
    meeting = MeetingSerializer(read_only=True, allow_null=True)
    people = serializers.SerializerMethodField()
    invitations = serializers.SerializerMethodField()

    def get_people(self, appointment) -> list[dict]:
        return [
            {"role": p.role, "name": p.name, "email": p.email, "language": p.language}
            for p in appointment.participants.all()
        ]

    def get_invitations(self, appointment) -> list[dict]:
        return [
            {"recipient": p.email, "kind": notice.kind, "status": notice.delivery_status, "error": notice.last_error}
            for p in appointment.participants.all()
            for notice in p.notices.all()
        ]


class RescheduleSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=240)


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=list(Appointment.OUTCOMES))
    details = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AppointmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = AppointmentSerializer
    queryset = Appointment.objects.none()  # describes the model to the schema; get_queryset scopes it
    lookup_field = "public_id"

    def get_queryset(self):
        appointments = appointments_visible_to(self.request.user).for_agenda()
        params = self.request.query_params
        for name, lookup in (("from", "end__gt"), ("to", "start__lt")):
            if params.get(name):
                moment = parse_datetime(params[name])
                if moment is None:
                    raise Invalid(_("Give dates as ISO 8601, e.g. 2026-11-24T09:00:00-05:00."), field=name)
                appointments = appointments.filter(**{lookup: moment})
        if params.get("organizer"):
            appointments = appointments.filter(organizer__username=params["organizer"])
        if params.get("clinic"):
            appointments = appointments.filter(clinic__public_id=params["clinic"])
        if params.get("status"):
            appointments = appointments.filter(status=params["status"])
        return appointments

    def get_object(self):
        return access_appointment(self.request.user, self.kwargs["public_id"])

    @extend_schema(
        parameters=[
            OpenApiParameter("from", datetime, description="Appointments ending after this moment (ISO 8601)."),
            OpenApiParameter("to", datetime, description="Appointments starting before this moment (ISO 8601)."),
            OpenApiParameter("organizer", str, description="Username of the organizer."),
            OpenApiParameter("clinic", str, description="Public id of the clinic."),
            OpenApiParameter("status", str, description="scheduled, held, cancelled..."),
        ],
        responses={200: AppointmentSerializer(many=True), **refusals(400)},
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        record_patient_listing(request.user, list({a.patient for a in page}), query_kind="appointments")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: AppointmentSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={201: AppointmentSerializer, **refusals(400, 403, 404, 409)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient = access_patient(request.user, data["patient"]["public_id"])
        clinic = self._clinic(data.get("clinic", {}).get("public_id"), patient)
        appointment = book_appointment(
            by=request.user,
            patient=patient,
            clinic=clinic,
            details=BookingDetails(
                kind=data["kind"],
                modality=data["modality"],
                platform=data.get("platform") or (clinic.default_platform if data["modality"] == "video" else ""),
                reason=data["reason"],
                reason_details=data.get("reason_details", ""),
                start=data.get("start"),
                duration_minutes=data["duration_minutes"],
                fallback_phone=str(data.get("fallback_phone") or ""),
                internet_ok=data.get("internet_ok"),
                device_ok=data.get("device_ok"),
                tablet_loan=data["tablet_loan"],
                pasted_link=data.get("pasted_link", ""),
            ),
            participants=[ParticipantDetails(**person) for person in data.get("participants", [])],
        )
        return Response(self._read(appointment), status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={200: AppointmentSerializer, **refusals(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def cancel(self, request, public_id=None):
        appointment = access_appointment(request.user, public_id, for_change=True)
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(
            self._read(cancel_appointment(appointment, by=request.user, reason=body.validated_data["reason"]))
        )

    @extend_schema(request=RescheduleSerializer, responses={200: AppointmentSerializer, **refusals(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def reschedule(self, request, public_id=None):
        appointment = access_appointment(request.user, public_id, for_change=True)
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        moved = reschedule_appointment(appointment, by=request.user, **body.validated_data)
        return Response(self._read(moved))

    @extend_schema(request=OutcomeSerializer, responses={200: AppointmentSerializer, **refusals(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def outcome(self, request, public_id=None):
        appointment = access_appointment(request.user, public_id, for_change=True)
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        closed = record_outcome(appointment, by=request.user, **body.validated_data)
        return Response(self._read(closed))

    @extend_schema(request=None, responses={200: AppointmentSerializer, **refusals(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def retry(self, request, public_id=None):
        appointment = access_appointment(request.user, public_id, for_change=True)
        return Response(self._read(retry_meeting_and_notices(appointment, by=request.user)))

    @extend_schema(request=None, responses={200: AppointmentSerializer, **refusals(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def recorded(self, request, public_id=None):
        """Flag the meeting as recorded; refused (409) without the recording consent of both parties."""
        appointment = access_appointment(request.user, public_id, for_change=True)
        return Response(self._read(flag_recorded(appointment, by=request.user)))

    def _read(self, appointment: Appointment) -> dict:
        fresh = Appointment.objects.for_agenda().get(pk=appointment.pk)
        return self.get_serializer(fresh).data

    def _clinic(self, clinic_id, patient) -> Clinic:
        clinics = clinics_where(self.request.user, Capability.BOOK_APPOINTMENT).filter(patients=patient)
        if clinic_id is not None:
            clinic = clinics.filter(public_id=clinic_id).first()
            if clinic is None:
                raise Invalid(_("You cannot book meetings for this patient in this clinic."), field="clinic")
            return clinic
        choices = list(clinics[:2])
        if len(choices) != 1:
            raise Invalid(_("Say which clinic the meeting belongs to."), field="clinic")
        return choices[0]
