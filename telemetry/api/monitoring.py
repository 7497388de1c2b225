"""Monitoring API: the device's gap list, the trials and the reviewer's restart action."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import IsReviewer

from .. import gaps as gap_list
from ..auth import DeviceAuthError, authenticate_device
from ..forms import RestartTrialForm, StopTrialForm
from ..models import TrialRun
from ..overview import latest_runs
from ..permissions import connections_visible_to, trial_runs_visible_to
from ..services.trial import restart_trial
from ..services.trial_items import item_figures
from ..services.trial_review import stop_trial


def _error(status: int, field: str, reason: str) -> JsonResponse:
    """The API's error shape (portal.api_errors): a summary and the field at fault."""
    return JsonResponse(
        {"detail": str(reason), "errors": [{"field": field, "reason": str(reason)}]},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


_GAPS = inline_serializer(
    "GapList",
    {
        "from": serializers.CharField(),
        "to": serializers.CharField(),
        "items": inline_serializer(
            "ItemGaps",
            {
                "dataCode": serializers.CharField(),
                "statType": serializers.CharField(),
                "missing": serializers.ListField(child=serializers.CharField()),
                "ranges": inline_serializer(
                    "GapRange",
                    {
                        "from": serializers.CharField(),
                        "to": serializers.CharField(),
                        "count": serializers.IntegerField(),
                    },
                    many=True,
                ),
            },
            many=True,
        ),
    },
)


class DeviceGapsView(APIView):
    """Slots the portal is missing for the calling device's items (断点续传).

    Signed like every device request: ``X-Cert-Serial`` and ``X-Signature`` over the request
    target (path and query string, exactly as sent). ``from``/``to`` are ``yyyy-MM-dd``
    (``to`` then includes that day) or ``yyyy-MM-dd HH:mm:ss`` Beijing time (``to``
    exclusive); the window may span at most TELEMETRY_GAPS_MAX_DAYS days. Each item lists
    its missing slots (``missing``) and the same slots as runs of consecutive slots
    (``ranges``: first and last slot start, count); slots before the item's registration
    are never missing.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.STR, required=True),
            OpenApiParameter("to", OpenApiTypes.STR, required=True),
        ],
        responses=_GAPS,
        auth=[],
    )
    def get(self, request):
        try:
            identity = authenticate_device(request, request.get_full_path().encode())
        except DeviceAuthError as exc:
            return _error(exc.status, exc.field, exc.reason)
        try:
            window = gap_list.parse_window(request.GET.get("from"), request.GET.get("to"))
        except gap_list.WindowError as exc:
            return _error(400, exc.field, exc.reason)
        found = gap_list.find_gaps(gap_list.device_items(identity.device), window)
        return JsonResponse(
            gap_list.as_wire(found, window), json_dumps_params={"ensure_ascii": False}
        )


class TrialRunSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="connection.enterprise_id")
    enterprise_name = serializers.CharField(source="connection.enterprise.name")
    connection_state = serializers.CharField(source="connection.state")
    # The stored reason rendered in the caller's language (docs/decisions/0007).
    failure_reason = serializers.CharField(source="display_failure_reason", read_only=True)
    # Why the rolling count restarted last (the latest bad day), in the caller's language.
    reset_reason = serializers.CharField(source="display_reset_reason", read_only=True)
    flagged = serializers.SerializerMethodField()

    def get_flagged(self, run) -> bool:
        """Running longer than TELEMETRY_TRIAL_FLAG_DAYS (the reviewers were told)."""
        return run.flagged_at is not None and run.status == "running"

    class Meta:
        model = TrialRun
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "connection",
            "connection_state",
            "number",
            "started_on",
            "ends_on",
            "status",
            "counted_from",
            "expected",
            "on_time",
            "received",
            "successful",
            "complete_days",
            "consecutive_complete_days",
            "success_rate",
            "on_time_rate",
            "window_start",
            "window_end",
            "days",
            "failure_reason",
            "reset_reason",
            "hold_reason",
            "flagged",
            "evaluated_at",
            "finished_at",
        ]


class TrialRunDetailSerializer(TrialRunSerializer):
    """One trial with the per-item figures of its current window (two more queries)."""

    items = serializers.SerializerMethodField()
    items_window = serializers.SerializerMethodField()

    class Meta(TrialRunSerializer.Meta):
        fields = [*TrialRunSerializer.Meta.fields, "items_window", "items"]

    def _figures(self, run):
        if not hasattr(self, "_cached"):
            self._cached = item_figures(run, timezone.localdate())
        return self._cached

    def get_items_window(self, run) -> list[str] | None:
        window = self._figures(run)[0]
        return [window[0].isoformat(), window[1].isoformat()] if window else None

    def get_items(self, run) -> list[dict]:
        return [
            {
                "data_code": row.item.data_code,
                "name": row.item.name,
                "expected": row.expected,
                "on_time": row.on_time,
                "backfilled": row.backfilled,
                "late": row.late,
                "missing": row.missing,
                "suspect": row.suspect,
                "successful": row.successful,
                "success_rate": row.success_rate,
                "on_time_rate": row.on_time_rate,
            }
            for row in self._figures(run)[1]
        ]


class TrialListView(generics.ListAPIView):
    """The newest trial of each connection the caller may see."""

    serializer_class = TrialRunSerializer

    def get_queryset(self):
        connections = connections_visible_to(self.request.user)
        return latest_runs(connections).select_related("connection__enterprise").order_by("pk")


class TrialDetailView(generics.RetrieveAPIView):
    serializer_class = TrialRunDetailSerializer

    def get_object(self):
        return get_object_or_404(trial_runs_visible_to(self.request.user), pk=self.kwargs["pk"])


class RestartTrialView(APIView):
    """A reviewer restarts the stable-upload trial of a connection (failed or running)."""

    permission_classes = [IsReviewer]

    @extend_schema(
        request=inline_serializer(
            "RestartTrial",
            {"start": serializers.DateField(required=False), "comment": serializers.CharField()},
        ),
        responses=TrialRunSerializer,
    )
    def post(self, request, pk):
        connection = get_object_or_404(connections_visible_to(request.user), pk=pk)
        form = RestartTrialForm(request.data)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            return _error(400, field, errors[0])
        # A refused transition is answered 409 by portal.api_errors, like every other API.
        run = restart_trial(
            connection,
            request.user,
            start=form.cleaned_data["start"],
            comment=form.cleaned_data["comment"],
        )
        return Response(TrialRunSerializer(run).data, status=201)


class StopTrialView(APIView):
    """A reviewer stops the running stable-upload trial of a connection, with a reason."""

    permission_classes = [IsReviewer]

    @extend_schema(
        request=inline_serializer("StopTrial", {"comment": serializers.CharField()}),
        responses=TrialRunSerializer,
    )
    def post(self, request, pk):
        connection = get_object_or_404(connections_visible_to(request.user), pk=pk)
        form = StopTrialForm(request.data)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            return _error(400, field, errors[0])
        run = stop_trial(connection, request.user, comment=form.cleaned_data["comment"])
        return Response(TrialRunSerializer(run).data if run else {}, status=200)
