"""/api/v1/telemetry/item-changes/: data-item changes asked for during a stable-upload trial.

Scoped like the pages (outsiders 404); staff reviewers approve or reject (others 403; a
request no longer pending is answered 409). Changes are asked for through the items API
(``effectiveOn`` and ``reason``), which answers 202 with ``pendingChange``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api import IsReviewer
from portal.serializers import DecisionSerializer

from ..models import ItemChangeRequest
from ..permissions import item_changes_visible_to
from ..services.item_changes import approve_change, reject_change


def _number(value) -> str | None:
    return None if value is None else str(value.normalize())


class ChangeRequestSerializer(serializers.ModelSerializer):
    dataCode = serializers.CharField(source="item.data_code", read_only=True)
    kindLabel = serializers.CharField(source="get_kind_display", read_only=True)
    statusLabel = serializers.CharField(source="get_status_display", read_only=True)
    proposed = serializers.SerializerMethodField()
    requestedOn = serializers.DateField(source="requested_on", read_only=True)
    effectiveOn = serializers.DateField(source="effective_on", read_only=True)
    requestedAt = serializers.DateTimeField(source="requested_at", read_only=True)
    decidedAt = serializers.DateTimeField(source="decided_at", read_only=True)
    decisionComment = serializers.CharField(source="decision_comment", read_only=True)
    appliedAt = serializers.DateTimeField(source="applied_at", read_only=True)

    class Meta:
        model = ItemChangeRequest
        fields = [
            "id",
            "enterprise",
            "item",
            "dataCode",
            "kind",
            "kindLabel",
            "status",
            "statusLabel",
            "before",
            "proposed",
            "requestedOn",
            "effectiveOn",
            "reason",
            "requestedAt",
            "decidedAt",
            "decisionComment",
            "appliedAt",
        ]
        read_only_fields = fields

    def get_proposed(self, obj) -> dict:
        return {
            "statType": obj.stat_type,
            "interval": obj.interval_minutes,
            "dataValueMin": _number(obj.value_min),
            "dataValueMax": _number(obj.value_max),
            "isActive": obj.is_active,
        }


class ItemChangeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ChangeRequestSerializer

    def get_queryset(self):
        qs = item_changes_visible_to(self.request.user).order_by("-requested_at", "-pk")
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if (params.get("enterprise") or "").isdigit():
            qs = qs.filter(enterprise_id=params["enterprise"])
        return qs

    def _decide(self, service):
        data = DecisionSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        change = service(self.request.user, self.get_object(), data.data.get("comment", ""))
        return Response(ChangeRequestSerializer(change).data)

    @extend_schema(request=DecisionSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsReviewer])
    def approve(self, request, pk=None):
        return self._decide(approve_change)

    @extend_schema(request=DecisionSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsReviewer])
    def reject(self, request, pk=None):
        return self._decide(reject_change)
