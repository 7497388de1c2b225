"""能耗数据分析 API: one item's values over a period, as the analysis page's chart shows them.

Scoped like the page (portal.permissions): members read their enterprise, reviewers the
province's, government viewers their region's; any other enterprise is 404.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.permissions import get_enterprise_or_404

from .. import analysis
from ..forms import AnalysisForm
from ..models import DataItem

_SERIES = inline_serializer(
    "EnergySeries",
    {
        "enterprise": serializers.IntegerField(),
        "dataCode": serializers.CharField(),
        "name": serializers.CharField(),
        "unit": serializers.CharField(),
        "convertRation": serializers.CharField(help_text="该采集项的折标系数（kgce/单位）"),
        "step": serializers.ChoiceField(choices=["slot", "day", "month"]),
        "start": serializers.DateField(),
        "end": serializers.DateField(),
        "rows": inline_serializer(
            "EnergySeriesRow",
            {
                "label": serializers.CharField(help_text="北京时间的时段起点、日期或月份"),
                "value": serializers.CharField(allow_null=True, help_text="有效读数之和"),
                "tce": serializers.CharField(allow_null=True, help_text="折标准煤，吨"),
                "readings": serializers.IntegerField(),
                "suspect": serializers.IntegerField(help_text="valid=0 的读数，不计入"),
            },
            many=True,
        ),
    },
)


def _text(number) -> str | None:
    """Plain decimal text without exponent or trailing zeros: 3000.0000 -> "3000"."""
    return None if number is None else f"{number.normalize():f}"


class EnergySeriesView(APIView):
    """The chosen item's values per 15-minute slot, Beijing day or month, with their tce.

    ``item`` is the item's id (default the enterprise's first); ``step`` is ``slot``,
    ``day`` (default) or ``month``; ``start``/``end`` are ``yyyy-MM-dd`` Beijing days, both
    included, within TELEMETRY_ANALYSIS_MAX_DAYS_* of each other.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("item", OpenApiTypes.INT),
            OpenApiParameter("step", OpenApiTypes.STR, enum=["slot", "day", "month"]),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=_SERIES,
    )
    def get(self, request, enterprise_id):
        enterprise = get_enterprise_or_404(request.user, enterprise_id)
        items = DataItem.objects.filter(enterprise=enterprise).order_by("-is_active", "data_code")
        first = items.values_list("pk", flat=True).first()
        form = AnalysisForm(request.GET, items=items, default_item=first)
        if first is None:
            raise ValidationError({"item": [_("本企业尚未登记数据采集项，暂无能耗数据。")]})
        if not form.is_valid():
            raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
        data = form.cleaned_data
        item = data["item"]
        period = analysis.Period(data["start"], data["end"], data["step"])
        rows = analysis.item_series(item, period)
        return Response(
            {
                "enterprise": enterprise.pk,
                "dataCode": item.data_code,
                "name": item.name,
                "unit": item.unit,
                "convertRation": _text(item.convert_ration),
                "step": period.step,
                "start": period.start,
                "end": period.end,
                "rows": [
                    {**row, "value": _text(row["value"]), "tce": _text(row["tce"])} for row in rows
                ],
            }
        )
