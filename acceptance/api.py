"""REST API v1 for acceptance applications (附表2 + 表1), scoped like the pages.

Every transition is a POST action calling the same service as the page; refusals come back
as 409 with the reason (portal.api_errors).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal.permissions import own_enterprise
from portal.serializers import DecisionSerializer

from .permissions import acceptance_applications_visible_to
from .serializers import (
    AcceptanceApplicationSerializer,
    MaterialFileSerializer,
    VerdictSerializer,
)
from .services.applications import (
    accept_application,
    add_material_file,
    create_application,
    record_verdict,
    return_application,
    start_review,
    submit_application,
    update_application,
)


def _comment(request) -> str:
    data = DecisionSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["comment"]


class AcceptanceApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """验收申请 (附表2) with its 表1 checklist. Filters: state, region."""

    serializer_class = AcceptanceApplicationSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = acceptance_applications_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if params.get("region"):
            qs = qs.filter(enterprise__region=params["region"])
        return qs.order_by("-created_at", "-pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_checklist": self.detail}

    def perform_create(self, serializer):
        enterprise = own_enterprise(self.request.user)
        if enterprise is None:
            raise PermissionDenied(_("只有企业用户可以提交验收申请。"))
        serializer.instance = create_application(
            self.request.user, enterprise, dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = update_application(
            serializer.instance, self.request.user, dict(serializer.validated_data)
        )

    def _respond(self, application):
        return Response(
            AcceptanceApplicationSerializer(application, context={"with_checklist": True}).data
        )

    @extend_schema(
        request={"multipart/form-data": MaterialFileSerializer},
        responses={201: MaterialFileSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def materials(self, request, pk=None):
        """Upload one file for a 表1 line (material, part, device where per device)."""
        application = self.get_object()
        form = MaterialFileSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        row = add_material_file(
            application,
            request.user,
            data["material"],
            data.get("part", ""),
            data["file"],
            device_id=data.get("device_id"),
        )
        return Response(MaterialFileSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AcceptanceApplicationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._respond(submit_application(self.get_object(), request.user))

    @extend_schema(request=None, responses=AcceptanceApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        return self._respond(start_review(self.get_object(), request.user))

    @extend_schema(request=VerdictSerializer, responses=VerdictSerializer)
    @action(detail=True, methods=["post"])
    def verdicts(self, request, pk=None):
        """The reviewer's 合格 / 需补正 on one 表1 line of the current submission."""
        application = self.get_object()
        form = VerdictSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        row = record_verdict(
            application, request.user, data["material"], data["verdict"], data["note"]
        )
        return Response(
            VerdictSerializer(
                {"material": row.material, "verdict": row.verdict, "note": row.note}
            ).data
        )

    @extend_schema(request=DecisionSerializer, responses=AcceptanceApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_correction(self, request, pk=None):
        return self._respond(return_application(self.get_object(), request.user, _comment(request)))

    @extend_schema(request=DecisionSerializer, responses=AcceptanceApplicationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._respond(accept_application(self.get_object(), request.user, _comment(request)))
