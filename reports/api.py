"""REST API v1 for issued documents: list, detail, download and the workflow steps.

Scoped by ``documents_visible_to`` like the pages (an outsider gets 404); every step is a
POST action calling the same service as the page; refusals come back as 409 with the reason.
"""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from portal.roles import is_institute_reviewer, is_staff_reviewer
from telemetry.models import Connection

from .models import DocumentKind, DocumentState
from .permissions import can_download, documents_visible_to
from .serializers import (
    ConformanceDraftSerializer,
    IssuedDocumentSerializer,
    RevokeSerializer,
    StepSerializer,
)
from .services import documents as engine
from .services.conformance import draft_from_trial


class IssuedDocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """出具文书: numbered, signed PDFs (the conformance test report) and their steps."""

    serializer_class = IssuedDocumentSerializer

    def get_queryset(self):
        qs = documents_visible_to(self.request.user).select_related(
            "compiled_by", "checked_by", "approved_by"
        )
        for name, choices in (("state", DocumentState), ("kind", DocumentKind)):
            value = self.request.query_params.get(name)
            if value:
                qs = qs.filter(**{name: value}) if value in choices.values else qs.none()
        return qs.order_by("-created_at", "-pk")

    def _reviewer_only(self):
        if not is_staff_reviewer(self.request.user):
            raise PermissionDenied(_("只有省计量院审核人员可以办理文书。"))

    def _respond(self, document, code=status.HTTP_200_OK):
        return Response(IssuedDocumentSerializer(document).data, status=code)

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The issued PDF (signed for signed kinds)."""
        document = self.get_object()
        if not can_download(request.user, document):
            raise NotFound(_("该文书的 PDF 尚未生成。"))
        return FileResponse(
            document.pdf.open("rb"),
            as_attachment=True,
            filename=f"{document.number}.pdf",
            content_type="application/pdf",
        )

    def _step(self, request, operation):
        document = self.get_object()
        self._reviewer_only()
        data = StepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(operation(document, request.user, data.validated_data["comment"]))

    @extend_schema(request=StepSerializer, responses=IssuedDocumentSerializer)
    @action(detail=True, methods=["post"])
    def compile(self, request, pk=None):
        """编制 done."""
        return self._step(request, engine.compile_document)

    @extend_schema(request=StepSerializer, responses=IssuedDocumentSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """审核 done (not by the compiler)."""
        return self._step(request, engine.review_document)

    @extend_schema(request=StepSerializer, responses=IssuedDocumentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """批准: issues the document with its number (approver permission; a third person)."""
        return self._step(request, engine.approve_document)

    @extend_schema(request=StepSerializer, responses=IssuedDocumentSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        """Return a compiled or checked draft for correction (a comment is required)."""
        return self._step(request, engine.send_back)

    @extend_schema(request=StepSerializer, responses=IssuedDocumentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Set a draft aside."""
        return self._step(request, engine.withdraw_document)

    @extend_schema(request=RevokeSerializer, responses=IssuedDocumentSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke an issued document (the reason is shown on the verification page)."""
        document = self.get_object()
        self._reviewer_only()
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            engine.revoke_document(document, request.user, data.validated_data["reason"])
        )

    @extend_schema(request=None, responses=IssuedDocumentSerializer)
    @action(detail=True, methods=["post"])
    def rerender(self, request, pk=None):
        """Queue the PDF again after a failed rendering."""
        document = self.get_object()
        self._reviewer_only()
        engine.retry_render(document)
        document.refresh_from_db()
        return self._respond(document)

    @extend_schema(request=ConformanceDraftSerializer, responses={201: IssuedDocumentSerializer})
    @action(detail=False, methods=["post"], url_path="conformance-drafts")
    def conformance_draft(self, request):
        """Draft the conformance test report (附件1) from the connection's passed trial."""
        if not is_institute_reviewer(request.user):
            raise PermissionDenied(_("只有省计量院审核人员可以起草符合性测试报告。"))
        data = ConformanceDraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = get_object_or_404(Connection, pk=data.validated_data["connection"])
        document = draft_from_trial(
            connection,
            request.user,
            {
                "enterprise": data.validated_data["display_enterprise"],
                "government": data.validated_data["display_government"],
            },
        )
        return self._respond(document, status.HTTP_201_CREATED)
