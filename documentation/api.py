"""AH-253 notes in the API: write a draft, sign it, fetch its PDF. A signed note never changes."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.errors import Conflict
from scheduling.permissions import access_appointment

from .models import Note, Structure
from .permissions import access_note, notes_visible_to
from .services import download_pdf, save_draft, sign_note, start_note


class NoteSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    appointment = serializers.UUIDField(source="appointment.public_id")
    patient = serializers.UUIDField(source="patient.public_id", read_only=True)
    structure = serializers.ChoiceField(choices=Structure.choices, default=Structure.FREE)
    sections = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    status = serializers.CharField(read_only=True)
    addendum_to = serializers.UUIDField(source="addendum_to.public_id", read_only=True, allow_null=True)
    signed_at = serializers.DateTimeField(source="document.signed_at", read_only=True, allow_null=True)
    file_name = serializers.CharField(source="document.file_name", read_only=True, allow_null=True)
    pdf_sha256 = serializers.CharField(source="document.pdf_sha256", read_only=True, allow_null=True)
    review_status = serializers.CharField(source="document.review_status", read_only=True, allow_null=True)
    author = serializers.CharField(source="author.username", read_only=True)


class NoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = NoteSerializer
    queryset = Note.objects.none()  # describes the model to the schema; get_queryset scopes it
    lookup_field = "public_id"

    def get_queryset(self):
        return notes_visible_to(self.request.user).select_related(
            "patient", "appointment", "author", "addendum_to", "document"
        )

    def get_object(self):
        return access_note(self.request.user, self.kwargs["public_id"])

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appointment = access_appointment(request.user, data["appointment"]["public_id"], for_change=True)
        note = start_note(by=request.user, appointment=appointment, structure=data["structure"])
        if data.get("sections"):
            note = save_draft(note, by=request.user, structure=data["structure"], sections=data["sections"])
        return Response(self.get_serializer(note).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        note = self.get_object()
        serializer = self.get_serializer(note, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        note = save_draft(
            note,
            by=request.user,
            structure=data.get("structure", note.structure),
            sections=data.get("sections", note.sections),
        )
        return Response(self.get_serializer(note).data)

    @extend_schema(request=None, responses=NoteSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, public_id=None):
        return Response(self.get_serializer(sign_note(self.get_object(), by=request.user)).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="The signed PDF.")})
    @action(detail=True, methods=["get"])
    def pdf(self, request, public_id=None):
        note = self.get_object()
        if not note.document_id:
            raise Conflict(_("Only a signed note has a PDF."), code="not_signed")
        response = HttpResponse(download_pdf(note.document, by=request.user), content_type="application/pdf")
        response["Content-Disposition"] = "attachment"
        return response
