"""AH-253 notes in the API: write a draft, sign it, fetch its PDF, correct it with an addendum. A signed
note never changes. The archives' review queue: documents waiting, returned or filed, and their filing."""

from urllib.parse import quote
from uuid import UUID

from django.http import HttpResponse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.models import AuditEvent
from common.errors import Conflict, Invalid, NotAllowed
from common.models import OutboxStatus
from directory.api import refusals
from directory.permissions import Capability, has_capability
from scheduling.permissions import access_appointment

from .models import Note, SignedDocument, Structure
from .permissions import (
    access_document_for_review,
    access_note,
    documents_for_review,
    notes_visible_to,
    returned_documents_of,
)
from .selectors import document_history
from .services import (
    add_addendum,
    download_pdf,
    file_document,
    missing_elements,
    retry_filing,
    return_document,
    save_draft,
    sign_note,
    start_note,
)

PDF_RESPONSE = OpenApiResponse(description="The signed PDF.")


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

    @extend_schema(responses={200: NoteSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={201: NoteSerializer, **refusals(400, 403, 404, 409)})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appointment = access_appointment(request.user, data["appointment"]["public_id"], for_change=True)
        note = start_note(by=request.user, appointment=appointment, structure=data["structure"])
        if data.get("sections"):
            note = save_draft(note, by=request.user, structure=data["structure"], sections=data["sections"])
        return Response(self.get_serializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: NoteSerializer, **refusals(400, 404, 409)})
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

    @extend_schema(responses={200: NoteSerializer, **refusals(400, 404, 409)})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: NoteSerializer, **refusals(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def sign(self, request, public_id=None):
        return Response(self.get_serializer(sign_note(self.get_object(), by=request.user)).data)

    @extend_schema(request=None, responses={201: NoteSerializer, **refusals(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def addendum(self, request, public_id=None):
        """Correct a signed note: a new draft that refers to it (refused, 409, for a draft)."""
        addendum = add_addendum(self.get_object(), by=request.user)
        return Response(self.get_serializer(addendum).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): PDF_RESPONSE, **refusals(400, 404, 409)})
    @action(detail=True, methods=["get"])
    def pdf(self, request, public_id=None):
        note = self.get_object()
        if not note.document_id:
            raise Conflict(_("Only a signed note has a PDF."), code="not_signed")
        return pdf_attachment(download_pdf(note.document, by=request.user), note.document.file_name)


def pdf_attachment(pdf: bytes, file_name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name)}"
    return response


# -- the archives' review queue ----------------------------------------------------------------------


class DocumentSerializer(serializers.Serializer):
    """A signed document (AH-253 or AH-251) as the archivist reviews it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    form = serializers.ChoiceField(source="kind", choices=SignedDocument.Kind.choices)
    note = serializers.SerializerMethodField(help_text="The AH-253 note it was signed from.")
    prescription = serializers.SerializerMethodField(help_text="The AH-251 prescription it was signed from.")
    file_name = serializers.CharField()
    patient = serializers.UUIDField(source="patient.public_id")
    author = serializers.CharField(source="author.username")
    signed_at = serializers.DateTimeField()
    pdf_sha256 = serializers.CharField()
    header = serializers.DictField(help_text="The identification printed on the document, frozen at signing.")
    missing = serializers.SerializerMethodField(help_text="Mandatory elements absent (the archivist would return it).")
    review_status = serializers.ChoiceField(choices=SignedDocument.Review.choices)
    returned_reason = serializers.CharField()
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    record_reference = serializers.CharField()
    filing_status = serializers.ChoiceField(
        source="delivery_status", choices=OutboxStatus.choices, help_text="Delivery to the record system."
    )
    filing_attempts = serializers.IntegerField(source="attempts")
    filing_error = serializers.CharField(source="last_error")
    receipt = serializers.CharField()
    copy_removed_at = serializers.DateTimeField(allow_null=True)

    def get_missing(self, document) -> list[str]:
        return missing_elements(document.header)

    def get_note(self, document) -> UUID | None:
        note = getattr(document, "note", None)
        return note.public_id if note else None

    def get_prescription(self, document) -> UUID | None:
        prescription = getattr(document, "prescription", None)
        return prescription.public_id if prescription else None


class DocumentEventSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_username")
    action = serializers.ChoiceField(choices=AuditEvent.Action.choices)
    action_label = serializers.CharField(source="get_action_display")


class DocumentDetailSerializer(DocumentSerializer):
    history = serializers.SerializerMethodField()

    @extend_schema_field(DocumentEventSerializer(many=True))
    def get_history(self, document) -> list[dict]:
        return DocumentEventSerializer(document_history(document), many=True).data


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why it goes back to its author; none is refused."
    )


class FileSerializer(serializers.Serializer):
    record_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text="Reference in the record system; the patient's file number when empty.",
    )


class BatchFileSerializer(serializers.Serializer):
    documents = serializers.ListField(
        child=serializers.UUIDField(), max_length=200, help_text="Ids of documents waiting in the queue."
    )


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The archives' queue: the signed documents of the establishments where one is an archivist."""

    serializer_class = DocumentSerializer
    queryset = SignedDocument.objects.none()  # describes the model to the schema; get_queryset scopes it
    lookup_field = "public_id"

    def get_queryset(self):
        return (
            documents_for_review(self.request.user).select_related("note", "prescription").order_by("signed_at", "id")
        )

    def get_object(self):
        return access_document_for_review(self.request.user, self.kwargs["public_id"])

    def get_serializer_class(self):
        return DocumentDetailSerializer if self.action == "retrieve" else DocumentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=SignedDocument.Review.values,
                description="Review state shown; `pending` (the queue) when absent.",
            ),
            OpenApiParameter("search", str, description="File number, NAM, author's name or username, file name."),
            OpenApiParameter("day", str, description="Signed on this day (YYYY-MM-DD)."),
        ],
        responses={200: DocumentSerializer(many=True), **refusals(400, 403)},
    )
    def list(self, request, *args, **kwargs):
        self._require_reviewer()
        params = request.query_params
        shown = params.get("status", SignedDocument.Review.PENDING)
        if shown not in SignedDocument.Review.values:
            raise Invalid(_("Choose a review state: pending, returned or filed."), field="status")
        documents = self.get_queryset().filter(review_status=shown)
        if params.get("day"):
            day = parse_date_or_none(params["day"])
            if day is None:
                raise Invalid(_("Give the day as YYYY-MM-DD."), field="day")
            documents = documents.filter(signed_at__date=day)
        documents = documents.search(params.get("search", "")[:100])
        page = self.paginate_queryset(documents)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: DocumentDetailSerializer, **refusals(400, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses={(200, "application/pdf"): PDF_RESPONSE, **refusals(400, 404, 409)})
    @action(detail=True, methods=["get"])
    def pdf(self, request, public_id=None):
        document = self.get_object()
        return pdf_attachment(download_pdf(document, by=request.user), document.file_name)

    @extend_schema(request=ReturnSerializer, responses={200: DocumentSerializer, **refusals(400, 404, 409)})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_author(self, request, public_id=None):
        """Send the document back to its author with the reason; she corrects it with an addendum."""
        document = self.get_object()
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        returned = return_document(document, by=request.user, reason=body.validated_data["reason"])
        return Response(DocumentSerializer(returned).data)

    @extend_schema(
        operation_id="v1_documents_file_create",
        request=FileSerializer,
        responses={200: DocumentSerializer, **refusals(400, 404)},
    )
    @action(detail=True, methods=["post"], url_path="file", url_name="file")
    def file_one(self, request, public_id=None):
        """File into the patient's record; the delivery to the record system follows (filing twice does nothing)."""
        document = self.get_object()
        body = FileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        filed = file_document(document, by=request.user, record_reference=body.validated_data["record_reference"])
        return Response(DocumentSerializer(filed).data)

    @extend_schema(
        operation_id="v1_documents_file_batch_create",
        request=BatchFileSerializer,
        responses={200: DocumentSerializer(many=True), **refusals(400, 403)},
    )
    @action(detail=False, methods=["post"], url_path="file", url_name="file-batch", pagination_class=None)
    def file_batch(self, request):
        """File several documents of the queue at once; those not waiting in one's queue are left alone."""
        self._require_reviewer()
        body = BatchFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        documents = self.get_queryset().filter(
            public_id__in=body.validated_data["documents"], review_status=SignedDocument.Review.PENDING
        )
        filed = [file_document(document, by=request.user) for document in documents]
        return Response(DocumentSerializer(filed, many=True).data)

    @extend_schema(request=None, responses={200: DocumentSerializer, **refusals(400, 404)})
    @action(detail=True, methods=["post"], url_path="retry-filing", url_name="retry-filing")
    def ask_filing_again(self, request, public_id=None):
        """Ask the record system again for a filing that failed (nothing happens otherwise)."""
        return Response(DocumentSerializer(retry_filing(self.get_object(), by=request.user)).data)

    @extend_schema(responses={200: DocumentSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="returned-to-me", url_name="returned-to-me")
    def returned_to_me(self, request):
        """The documents the archives returned to me, their author, with the reason."""
        returned = returned_documents_of(request.user).select_related(
            "patient", "author", "reviewed_by", "prescription"
        )
        page = self.paginate_queryset(returned.order_by("-reviewed_at", "-id"))
        return self.get_paginated_response(DocumentSerializer(page, many=True).data)

    def _require_reviewer(self) -> None:
        if not has_capability(self.request.user, Capability.REVIEW_DOCUMENTS):
            raise NotAllowed()


def parse_date_or_none(value: str):
    try:
        return parse_date(value)
    except ValueError:
        return None
