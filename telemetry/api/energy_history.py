"""Energy structure API: each energy type's share of the historical consumption (表1 材料 10)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.permissions import get_enterprise_or_404

from ..services import energy_history

_SHARE = inline_serializer(
    "EnergyShare",
    {
        "code": serializers.CharField(),
        "name": serializers.CharField(),
        "unit": serializers.CharField(),
        "quantity": serializers.CharField(),
        "tce": serializers.CharField(),
        "share": serializers.CharField(help_text="percent, two decimals; the shares add up to 100"),
    },
    many=True,
)
_MISSING = inline_serializer(
    "MissingMainEnergy",
    {
        "code": serializers.CharField(),
        "name": serializers.CharField(),
        "share": serializers.CharField(),
    },
    many=True,
)


class EnergyStructureView(APIView):
    """The enterprise's energy structure from its current historical import, and the main
    energy types (share at least TELEMETRY_MAIN_ENERGY_SHARE) that no active item collects."""

    @extend_schema(
        responses=inline_serializer(
            "EnergyStructure",
            {
                "enterprise": serializers.IntegerField(),
                "import": serializers.IntegerField(),
                "firstMonth": serializers.CharField(),
                "lastMonth": serializers.CharField(),
                "totalTce": serializers.CharField(),
                "mainShare": serializers.CharField(help_text="percent"),
                "shares": _SHARE,
                "missingMain": _MISSING,
                "missingMainAtImport": _MISSING,
            },
        )
    )
    def get(self, request, enterprise_id):
        enterprise = get_enterprise_or_404(request.user, enterprise_id)
        view = energy_history.structure_for(enterprise)
        if view is None:
            return Response({"detail": _("该企业尚未导入历史能耗数据。")}, status=404)
        return Response(view.as_dict())
