"""REST API v1 for acceptance applications (附表2 + 表1), scoped like the pages.

Every transition is a POST action calling the same service as the page; refusals come back
as 409 with the reason (portal.api_errors).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal.permissions import own_enterprise
from portal.serializers import DecisionSerializer

from .permissions import (
    acceptance_applications_visible_to,
    acceptance_reports_visible_to,
    onsites_visible_to,
)
from .serializers import (
    AcceptanceApplicationSerializer,
    AcceptanceReportSerializer,
    ComparisonSerializer,
    MaterialFileSerializer,
    OnSiteSerializer,
    PanelSerializer,
    SignCodeSerializer,
    SignSerializer,
    SitePhotoSerializer,
    VerdictSerializer,
)
from .services.applications import (
    add_material_file,
    create_application,
    update_application,
)
from .services.onsite import (
    PROPOSAL_FIELDS,
    STEP_FIELDS,
    add_comparison,
    add_site_photo,
    confirm_onsite,
    declare_no_conflict,
    finish_record,
    propose_onsite,
    record_steps,
    reschedule_onsite,
    set_panel,
    update_proposal,
)
from .services.outcome import issue_result
from .services.report import (
    draft_report,
    put_for_signature,
    send_signing_code,
    sign_report,
    update_report,
)
from .services.review import (
    accept_application,
    record_verdict,
    return_application,
    start_review,
    submit_application,
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

    @extend_schema(request=OnSiteSerializer, responses={201: OnSiteSerializer})
    @action(detail=True, methods=["post"])
    def onsite(self, request, pk=None):
        """Propose the on-site acceptance (date, place, representatives) once accepted."""
        application = self.get_object()
        form = OnSiteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = {k: v for k, v in form.validated_data.items() if k in PROPOSAL_FIELDS}
        try:
            onsite = propose_onsite(request.user, application, data)
        except DjangoPermissionDenied as denied:
            raise PermissionDenied(str(denied)) from None
        return Response(OnSiteSerializer(onsite).data, status=status.HTTP_201_CREATED)

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


class OnSiteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """现场验收: POST /acceptance-applications/{id}/onsite/ proposes it; the institute names
    the panel and confirms; the panel declares, records the steps and comparison readings."""

    serializer_class = OnSiteSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            onsites_visible_to(self.request.user)
            .prefetch_related("seats__user", "comparisons", "photos__attachment__uploaded_by")
            .order_by("-scheduled_for", "-pk")
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        onsite = serializer.instance
        proposal = {k: v for k, v in data.items() if k in PROPOSAL_FIELDS}
        steps = {k: v for k, v in data.items() if k in STEP_FIELDS}
        if proposal:
            onsite = update_proposal(onsite, self.request.user, proposal)
        if steps:
            onsite = record_steps(onsite, self.request.user, steps)
        serializer.instance = onsite

    def _respond(self, onsite):
        onsite.refresh_from_db()
        return Response(OnSiteSerializer(onsite).data)

    @extend_schema(request=PanelSerializer, responses=OnSiteSerializer)
    @action(detail=True, methods=["post"])
    def panel(self, request, pk=None):
        onsite = self.get_object()
        form = PanelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        seats = [dict(seat) for seat in form.validated_data["seats"]]
        return self._respond(set_panel(onsite, request.user, seats))

    @extend_schema(request=None, responses=OnSiteSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._respond(confirm_onsite(self.get_object(), request.user))

    @extend_schema(request=None, responses=OnSiteSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        return self._respond(reschedule_onsite(self.get_object(), request.user))

    @extend_schema(request=None, responses=OnSiteSerializer)
    @action(detail=True, methods=["post"])
    def declare(self, request, pk=None):
        onsite = self.get_object()
        try:
            declare_no_conflict(onsite, request.user)
        except DjangoPermissionDenied:
            raise PermissionDenied(_("您不是该验收小组的成员。")) from None
        return self._respond(onsite)

    @extend_schema(request=ComparisonSerializer, responses={201: ComparisonSerializer})
    @action(detail=True, methods=["post"])
    def comparisons(self, request, pk=None):
        onsite = self.get_object()
        form = ComparisonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        row = add_comparison(
            onsite,
            request.user,
            item_id=data["item"].pk,
            meter=data.get("meter", ""),
            read_at=data["read_at"],
            site_value=data["site_value"],
        )
        return Response(ComparisonSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": SitePhotoSerializer},
        responses={201: SitePhotoSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        """Upload one 现场考察照片 (caption + JPEG/PNG file)."""
        onsite = self.get_object()
        form = SitePhotoSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        photo = add_site_photo(onsite, request.user, data["caption"], data["file"])
        return Response(SitePhotoSerializer(photo).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OnSiteSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        return self._respond(finish_record(self.get_object(), request.user))

    @extend_schema(request=None, responses={201: AcceptanceReportSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        report = draft_report(self.get_object(), request.user)
        return Response(AcceptanceReportSerializer(report).data, status=status.HTTP_201_CREATED)


class AcceptanceReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """验收报告 (附件2): written by the panel, signed by five roles."""

    serializer_class = AcceptanceReportSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            acceptance_reports_visible_to(self.request.user)
            .prefetch_related("signatures")
            .order_by("-pk")
        )

    def perform_update(self, serializer):
        serializer.instance = update_report(
            serializer.instance, self.request.user, dict(serializer.validated_data)
        )

    @extend_schema(request=None, responses=AcceptanceReportSerializer)
    @action(detail=True, methods=["post"], url_path="put-for-signature")
    def put_for_signature(self, request, pk=None):
        report = put_for_signature(self.get_object(), request.user)
        return Response(AcceptanceReportSerializer(report).data)

    @extend_schema(request=None, responses=AcceptanceReportSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Issue the signed report: pass → stage 06 and published; fail → rectification."""
        report = issue_result(self.get_object(), request.user)
        return Response(AcceptanceReportSerializer(report).data)

    @extend_schema(request=SignSerializer, responses=AcceptanceReportSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        report = self.get_object()
        form = SignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            sign_report(
                report,
                request.user,
                form.validated_data["role"],
                password=form.validated_data.get("password", ""),
                code=form.validated_data.get("code", ""),
            )
        except DjangoPermissionDenied as denied:
            raise PermissionDenied(str(denied)) from None
        report.refresh_from_db()
        return Response(AcceptanceReportSerializer(report).data)

    @extend_schema(request=SignCodeSerializer, responses={202: None})
    @action(detail=True, methods=["post"], url_path="sign-code")
    def sign_code(self, request, pk=None):
        """E-mail the signer a one-time code (10 minutes, once) to sign with."""
        report = self.get_object()
        form = SignCodeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            send_signing_code(report, request.user, form.validated_data["role"])
        except DjangoPermissionDenied as denied:
            raise PermissionDenied(str(denied)) from None
        return Response(status=202)
