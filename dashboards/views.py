"""The manager's dashboard: the page, its CSV, the rows behind each failure count; and the API."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import Invalid, NotAllowed
from directory.models import MeetingPlatform
from directory.permissions import Capability, has_capability
from scheduling.models import Appointment

from .export import as_data, csv_rows
from .figures import FAILURE_KINDS, Scope, clinics_for, failure_rows, summary
from .forms import DashboardFilter


def _filters(request: HttpRequest, data=None) -> DashboardFilter:
    if not has_capability(request.user, Capability.VIEW_DASHBOARD):
        raise NotAllowed()
    return DashboardFilter(data if data is not None else request.GET, clinics=clinics_for(request.user))


def chart_labels() -> dict[str, str]:
    labels = dict(Appointment.Modality.choices) | dict(Appointment.Status.choices) | dict(Appointment.Kind.choices)
    return {key: str(label) for key, label in labels.items()}


def valid_scope(filters: DashboardFilter) -> Scope:
    if not filters.is_valid():
        raise Invalid(" ".join(str(error) for errors in filters.errors.values() for error in errors))
    return filters.scope()


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    context = {"filters": filters}
    if filters.is_valid():
        figures = summary(filters.scope())
        labels = chart_labels()
        data = as_data(figures) | {"labels": labels}
        context.update(
            figures=figures,
            data=data,
            neighbours=filters.neighbours(),
            # Rows ready for the template: one place that names each figure.
            count_cards=[
                (labels[key], count) for key, count in (figures.by_modality | figures.by_kind).items() if key in labels
            ],
            outcome_rows=[
                (key, labels[key], count, figures.outcome_rates[key]) for key, count in figures.outcomes.items()
            ],
            failure_cards=[(kind, FAILURE_TITLES[kind], figures.failures[kind]) for kind in FAILURE_KINDS],
        )
    return render(request, "dashboards/dashboard.html", context, status=200 if filters.is_valid() else 400)


@login_required
@require_GET
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    scope = valid_scope(filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tableau-de-bord_{scope.first_day}_{scope.last_day}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (accents) only with the byte-order mark
    writer = csv.writer(response)
    writer.writerow(["section", "figure", "value"])
    writer.writerows(csv_rows(summary(scope)))
    return response


@login_required
@require_GET
def failure_list(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in FAILURE_KINDS:
        raise Http404
    filters = _filters(request)
    rows = failure_rows(kind, valid_scope(filters))[:500]
    return render(
        request,
        "dashboards/failures.html",
        {"kind": kind, "rows": rows, "filters": filters, "title": FAILURE_TITLES[kind]},
    )


FAILURE_TITLES = {
    "meeting_links": _("Meeting links that failed"),
    "invitations": _("Invitations not delivered"),
    "faxes_failed": _("Faxes failed"),
    "faxes_unconfirmed": _("Faxes without the gateway's confirmation"),
}


class SummaryQuery(serializers.Serializer):
    clinic = serializers.UUIDField(required=False, help_text="One of my clinics; all of them when absent.")
    period = serializers.ChoiceField(choices=["week", "month", "custom"], required=False)
    day = serializers.DateField(required=False, help_text="The week or month of this day (today by default).")
    platform = serializers.ChoiceField(choices=MeetingPlatform.choices, required=False)


class DashboardSummaryView(APIView):
    """The figures of the manager's dashboard, as on the page."""

    @extend_schema(
        parameters=[
            SummaryQuery,
            OpenApiParameter("from", str, description="First day (YYYY-MM-DD), with `to`: those days."),
            OpenApiParameter("to", str, description="Last day (YYYY-MM-DD)."),
        ],
        responses={200: dict},
    )
    def get(self, request):
        query = request.query_params.dict()
        if "from" in query or "to" in query:
            query.update(period="custom", start=query.pop("from", ""), end=query.pop("to", ""))
        return Response(as_data(summary(valid_scope(_filters(request, data=query)))))


class FailureQuery(SummaryQuery):
    kind = serializers.ChoiceField(choices=FAILURE_KINDS, help_text="Which failure count's rows.")


class FailureRowSerializer(serializers.Serializer):
    when = serializers.DateTimeField(allow_null=True)
    what = serializers.CharField()
    reason = serializers.CharField()
    appointment = serializers.UUIDField(allow_null=True)


class DashboardFailuresView(APIView):
    """The rows behind a failure count of the dashboard (500 at the most)."""

    @extend_schema(
        parameters=[
            FailureQuery,
            OpenApiParameter("from", str, description="First day (YYYY-MM-DD), with `to`: those days."),
            OpenApiParameter("to", str, description="Last day (YYYY-MM-DD)."),
        ],
        responses={200: FailureRowSerializer(many=True)},
    )
    def get(self, request):
        query = request.query_params.dict()
        kind = query.pop("kind", "")
        if kind not in FAILURE_KINDS:
            raise Invalid(_("Choose which failures: %(kinds)s.") % {"kinds": ", ".join(FAILURE_KINDS)}, field="kind")
        if "from" in query or "to" in query:
            query.update(period="custom", start=query.pop("from", ""), end=query.pop("to", ""))
        rows = failure_rows(kind, valid_scope(_filters(request, data=query)))[:500]
        return Response(FailureRowSerializer([failure_row(kind, row) for row in rows], many=True).data)


def failure_row(kind: str, row) -> dict:
    if kind == "meeting_links":
        return {
            "when": row.start,
            "what": f"{row.clinic} — {row.platform}",
            "reason": row.meeting.last_error,
            "appointment": row.public_id,
        }
    if kind == "invitations":
        appointment = row.participant.appointment
        return {
            "when": appointment.start,
            "what": f"{row.kind} ({row.participant.role})",
            "reason": row.last_error,
            "appointment": appointment.public_id,
        }
    return {
        "when": row.sent_at or row.created_at,
        "what": f"{row.prescription.document.file_name} → {row.recipient_name}",
        "reason": row.failure_reason,
        "appointment": None,
    }
