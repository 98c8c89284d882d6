"""AH-251 in the API: write a draft, address it, sign it (the transmission starts), send it to one more
recipient, follow the transmissions, fetch the PDF. A route the rules forbid answers 400 with the reason."""

from uuid import UUID

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.errors import Invalid, NotAllowed
from directory.api import refusals
from directory.models import Recipient
from directory.permissions import Capability, access_patient, has_capability
from scheduling.permissions import access_appointment

from .models import Category, MedicationLine, Prescription, Transmission
from .permissions import access_prescription, access_transmission, prescriptions_visible_to, transmissions_visible_to
from .selectors import recipient_candidates, recipient_named
from .services import (
    EDITABLE_FIELDS,
    cancel_transmission,
    choose_recipient,
    discard_prescription,
    prescription_pdf,
    retry_transmission,
    save_prescription,
    sign_prescription,
    start_prescription,
    transmit,
)

RECIPIENT_HELP = "A recipient's id from /api/v1/recipients/, or `patient`."


class MedicationLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = MedicationLine
        fields = ["drug", "strength", "form", "dose", "route", "frequency", "duration", "renewals"]
        extra_kwargs = {"renewals": {"min_value": 0, "max_value": 99}}


class TransmissionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    prescription = serializers.UUIDField(source="prescription.public_id", read_only=True)
    recipient = serializers.UUIDField(source="recipient.public_id", read_only=True, allow_null=True)
    recipient_name = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    failure_reason = serializers.CharField(read_only=True)
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    confirmed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    confirmation = serializers.CharField(read_only=True)
    cancelled_reason = serializers.CharField(read_only=True)


class PrescriptionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = serializers.UUIDField(source="patient.public_id", required=False)
    appointment = serializers.UUIDField(source="appointment.public_id", required=False, allow_null=True)
    category = serializers.ChoiceField(choices=Category.choices)
    status = serializers.CharField(read_only=True)
    no_known_allergies = serializers.BooleanField(required=False)
    allergies = serializers.CharField(max_length=500, required=False, allow_blank=True)
    therapeutic_intent = serializers.CharField(max_length=500, required=False, allow_blank=True)
    instructions = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    callback_phone = PhoneNumberField(required=False, allow_blank=True)
    lines = MedicationLineSerializer(many=True, required=False)
    recipient = serializers.CharField(required=False, write_only=True, help_text=RECIPIENT_HELP)
    imaging_choice_confirmed = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text="For imaging: the recipient is the lab the patient chose (recorded on the patient's file).",
    )
    recipient_id = serializers.UUIDField(source="recipient.public_id", read_only=True, allow_null=True)
    to_patient = serializers.BooleanField(read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    file_name = serializers.CharField(source="document.file_name", read_only=True, allow_null=True)
    signed_at = serializers.DateTimeField(source="document.signed_at", read_only=True, allow_null=True)
    pdf_sha256 = serializers.CharField(source="document.pdf_sha256", read_only=True, allow_null=True)
    review_status = serializers.CharField(source="document.review_status", read_only=True, allow_null=True)
    transmissions = TransmissionSerializer(many=True, read_only=True)

    def validate(self, attrs):
        if self.instance is None and not attrs.get("patient") and not attrs.get("appointment"):
            raise serializers.ValidationError({"patient": Invalid.default_message})
        return attrs


class TransmitSerializer(serializers.Serializer):
    recipient = serializers.CharField(help_text=RECIPIENT_HELP)


class TransmissionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class RecipientSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Recipient
        fields = ["id", "kind", "name", "address", "city", "postal_code", "phone", "fax", "email"]


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


class PrescriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PrescriptionSerializer
    queryset = Prescription.objects.none()  # describes the model to the schema; get_queryset scopes it
    lookup_field = "public_id"

    def get_queryset(self):
        prescriptions = (
            prescriptions_visible_to(self.request.user)
            .select_related("patient", "appointment", "author", "document", "recipient")
            .prefetch_related("lines", "transmissions__recipient", "transmissions__prescription")
        )
        if patient := self.request.query_params.get("patient"):
            prescriptions = prescriptions.filter(patient__public_id__in=[patient] if _is_uuid(patient) else [])
        return prescriptions

    def get_object(self):
        return access_prescription(self.request.user, self.kwargs["public_id"])

    @extend_schema(parameters=[OpenApiParameter("patient", str, description="A patient's id.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: PrescriptionSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={201: PrescriptionSerializer, **refusals(400, 403, 404, 409)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appointment = None
        if (data.get("appointment") or {}).get("public_id"):
            appointment = access_appointment(request.user, data["appointment"]["public_id"], for_change=True)
            patient = appointment.patient
        else:
            patient = access_patient(request.user, data["patient"]["public_id"], capability=Capability.PRESCRIBE)
        prescription = start_prescription(
            by=request.user, patient=patient, category=data["category"], appointment=appointment
        )
        prescription = self._write(prescription, data)
        return Response(self.get_serializer(prescription).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PrescriptionSerializer, **refusals(400, 404, 409)})
    def update(self, request, *args, **kwargs):
        prescription = self.get_object()
        serializer = self.get_serializer(prescription, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._write(prescription, serializer.validated_data)).data)

    @extend_schema(responses={200: PrescriptionSerializer, **refusals(400, 404, 409)})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def _write(self, prescription: Prescription, data: dict) -> Prescription:
        fields = {name: data[name] for name in EDITABLE_FIELDS if name in data}
        lines = data.get("lines")
        prescription = save_prescription(prescription, by=self.request.user, fields=fields, lines=lines)
        if "recipient" in data:
            decision = choose_recipient(
                prescription,
                by=self.request.user,
                recipient=recipient_named(data["recipient"]),
                imaging_choice_confirmed=data.get("imaging_choice_confirmed", False),
            )
            if not decision.allowed:
                raise Invalid(decision.reason, code=decision.code, field="recipient")
        return access_prescription(self.request.user, prescription.public_id)

    @extend_schema(request=None, responses={200: PrescriptionSerializer, **refusals(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def sign(self, request, public_id=None):
        prescription = sign_prescription(self.get_object(), by=request.user)
        return Response(self.get_serializer(access_prescription(request.user, prescription.public_id)).data)

    @extend_schema(request=None, responses={200: PrescriptionSerializer, **refusals(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def discard(self, request, public_id=None):
        """Abandon a draft (only its prescriber); it disappears from the lists, the history keeps it."""
        discarded = discard_prescription(self.get_object(), by=request.user)
        return Response(self.get_serializer(discarded).data)

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Name, city or fax number.")],
        responses={200: RecipientSerializer(many=True), **refusals(400, 404)},
    )
    @action(detail=True, methods=["get"], url_path="recipient-candidates", pagination_class=None)
    def candidates(self, request, public_id=None):
        """The directory's recipients this prescription's category may go to (the first 30)."""
        candidates = recipient_candidates(self.get_object(), request.query_params.get("search", ""))
        return Response(RecipientSerializer(candidates[:30], many=True).data)

    @extend_schema(request=TransmitSerializer, responses={201: TransmissionSerializer, **refusals(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def transmit(self, request, public_id=None):
        prescription = self.get_object()
        if prescription.author_id != request.user.pk:
            raise NotAllowed(_("Only the prescriber sends her prescription."))
        body = TransmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        transmission = transmit(
            prescription, by=request.user, recipient=recipient_named(body.validated_data["recipient"])
        )
        return Response(TransmissionSerializer(transmission).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(description="The signed PDF."), **refusals(400, 404, 409)}
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, public_id=None):
        prescription = self.get_object()
        response = HttpResponse(prescription_pdf(prescription, by=request.user), content_type="application/pdf")
        response["Content-Disposition"] = "attachment"
        return response


class TransmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TransmissionSerializer
    queryset = Transmission.objects.none()
    lookup_field = "public_id"

    def get_queryset(self):
        transmissions = transmissions_visible_to(self.request.user).select_related("recipient", "prescription")
        if (wanted := self.request.query_params.get("status")) in Transmission.Status.values:
            transmissions = transmissions.filter(status=wanted)
        return transmissions.order_by("-created_at")

    def get_object(self):
        return access_transmission(self.request.user, self.kwargs["public_id"])

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Transmission.Status.values, description="Only this status.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: TransmissionSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: TransmissionSerializer, **refusals(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def retry(self, request, public_id=None):
        return Response(TransmissionSerializer(retry_transmission(self.get_object(), by=request.user)).data)

    @extend_schema(
        request=TransmissionCancelSerializer, responses={200: TransmissionSerializer, **refusals(400, 404, 409)}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, public_id=None):
        transmission = self.get_object()  # first: who may not see it gets a 404, whatever the body
        body = TransmissionCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        transmission = cancel_transmission(transmission, by=request.user, reason=body.validated_data["reason"])
        return Response(TransmissionSerializer(transmission).data)


class RecipientViewSet(viewsets.ReadOnlyModelViewSet):
    """The directory of pharmacies, labs, units and professionals documents may go to."""

    serializer_class = RecipientSerializer
    queryset = Recipient.objects.none()
    lookup_field = "public_id"

    def get_queryset(self):
        user = self.request.user
        if not (has_capability(user, Capability.PRESCRIBE) or has_capability(user, Capability.REVIEW_DOCUMENTS)):
            return Recipient.objects.none()
        recipients = Recipient.objects.filter(is_active=True).order_by("kind", "name")
        if (kind := self.request.query_params.get("kind")) in Recipient.Kind.values:
            recipients = recipients.filter(kind=kind)
        if text := self.request.query_params.get("search", "").strip()[:100]:
            recipients = recipients.filter(Q(name__icontains=text) | Q(city__icontains=text) | Q(fax__contains=text))
        return recipients

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=Recipient.Kind.values),
            OpenApiParameter("search", str, description="Name, city or fax number."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
