"""REST API v1 for design schemes, access applications, certificates and VPN accounts.

Scoped by the same scopers as the pages: an outsider gets 404. Every transition is a POST
action calling the same service as the page; refusals come back as 409 with the reason.
"""

import base64

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.models import Enterprise
from portal.permissions import own_enterprise
from portal.serializers import DecisionSerializer

from .models import CANotReady, Meter, RootCertificate
from .permissions import (
    access_applications_visible_to,
    certificates_visible_to,
    change_records_visible_to,
    credential_enterprise_or_404,
    design_schemes_visible_to,
    meters_visible_to,
    vpn_accounts_visible_to,
)
from .serializers import (
    AccessApplicationSerializer,
    ChangeRecordSerializer,
    CsrSerializer,
    DesignSchemeSerializer,
    DeviceCertificateSerializer,
    DocumentSerializer,
    FeedbackSerializer,
    GeneratedSerializer,
    GenerateSerializer,
    MaterialSerializer,
    MeterSerializer,
    PartSerializer,
    RevokeSerializer,
    SchemeUpdateSerializer,
    SiteSurveySerializer,
    VpnAccountSerializer,
    VpnPasswordSerializer,
)
from .services.access import (
    add_material,
    approve_application,
    create_application,
    reject_application,
    return_application,
    start_review,
    submit_application,
    update_application,
)
from .services.certificates import (
    current_crl_der,
    generate_certificate,
    issue_certificate,
    revoke_certificate,
)
from .services.meters import METER_FIELDS, create_meter, delete_meter, update_meter
from .services.schemes import (
    add_change_record,
    answer_scheme,
    confirm_scheme,
    create_scheme,
    decide_change_record,
    record_site_survey,
    send_scheme,
    update_scheme,
)
from .services.vpn import set_vpn_active, set_vpn_password

CONTENT = ("energy_types", "instruments", "budget_items")
TEXTS = ("project_plan", "construction_period")


def _comment(request) -> str:
    data = DecisionSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["comment"]


class DesignSchemeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """设计方案: reviewers draft and revise; enterprises answer with the 7.1 form."""

    serializer_class = DesignSchemeSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = (
            design_schemes_visible_to(self.request.user)
            .select_related("site_survey")
            .prefetch_related("confirmations__confirmed_by", "attachments", "enterprise__meters")
        )
        state = self.request.query_params.get("state")
        return (qs.filter(state=state) if state else qs).order_by("-created_at", "-pk")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return SchemeUpdateSerializer
        return DesignSchemeSerializer

    def _content(self, data) -> dict:
        content = {name: data[name] for name in CONTENT if name in data}
        for name in TEXTS:
            content[name] = data.get(name, "")
        return content

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = create_scheme(
            self.request.user, data["enterprise"], self._content(data)
        )

    def perform_update(self, serializer):
        scheme = serializer.instance
        data = {
            "energy_types": scheme.energy_types,
            "instruments": scheme.instruments,
            "budget_items": scheme.budget_items,
            "project_plan": scheme.project_plan,
            "construction_period": scheme.construction_period,
            **serializer.validated_data,
        }
        serializer.instance = update_scheme(scheme, self.request.user, self._content(data))

    def _respond(self, scheme, code=status.HTTP_200_OK):
        return Response(DesignSchemeSerializer(scheme).data, status=code)

    @extend_schema(
        request={"multipart/form-data": DocumentSerializer}, responses=DesignSchemeSerializer
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def document(self, request, pk=None):
        """Attach the scheme document (PDF or Word) to a draft or revision."""
        scheme = self.get_object()
        upload = DocumentSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = {name: getattr(scheme, name) for name in (*CONTENT, *TEXTS)}
        return self._respond(
            update_scheme(scheme, request.user, data, upload.validated_data["file"])
        )

    @extend_schema(
        request={"multipart/form-data": PartSerializer}, responses=DesignSchemeSerializer
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def parts(self, request, pk=None):
        """Attach one document part of seed 4.1(2) (kind + file) to a draft or revision."""
        scheme = self.get_object()
        upload = PartSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = {name: getattr(scheme, name) for name in (*CONTENT, *TEXTS)}
        parts = {upload.validated_data["kind"]: upload.validated_data["file"]}
        return self._respond(update_scheme(scheme, request.user, data, parts=parts))

    @extend_schema(request=SiteSurveySerializer, responses=SiteSurveySerializer)
    @action(detail=True, methods=["post"], url_path="site-survey")
    def site_survey(self, request, pk=None):
        """现场调研 (date, surveyors, findings), recorded before the draft is sent."""
        scheme = self.get_object()
        form = SiteSurveySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        survey = record_site_survey(scheme, request.user, form.validated_data)
        return Response(SiteSurveySerializer(survey).data)

    @extend_schema(request=None, responses=DesignSchemeSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        return self._respond(send_scheme(self.get_object(), request.user))

    @extend_schema(request=FeedbackSerializer, responses=DesignSchemeSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        """The enterprise's 7.1 form: confirms when can_finalise, else asks for changes."""
        scheme = self.get_object()
        form = FeedbackSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return self._respond(answer_scheme(scheme, request.user, form.validated_data))

    @extend_schema(request=None, responses=DesignSchemeSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The institute (reviewer) or platform developer (operator) confirms."""
        return self._respond(confirm_scheme(self.get_object(), request.user))

    @extend_schema(responses=FeedbackSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="feedback-forms", pagination_class=None)
    def feedback_forms(self, request, pk=None):
        scheme = self.get_object()
        feedback = scheme.feedback.select_related("submitted_by")
        return Response(FeedbackSerializer(feedback, many=True).data)

    @extend_schema(methods=["get"], request=None, responses=ChangeRecordSerializer(many=True))
    @extend_schema(
        methods=["post"], request=ChangeRecordSerializer, responses=ChangeRecordSerializer
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="change-records",
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def change_records(self, request, pk=None):
        scheme = self.get_object()
        if request.method == "GET":
            records = change_records_visible_to(request.user).filter(scheme=scheme)
            return Response(ChangeRecordSerializer(records, many=True).data)
        form = ChangeRecordSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        record = add_change_record(scheme, request.user, data, data.pop("document"))
        return Response(ChangeRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class MeterViewSet(viewsets.ModelViewSet):
    """计量器具台账. Members keep their own enterprise's; reviewers see and may correct all;
    government viewers see their region's (read only). Filters: enterprise, energy_type,
    metering_level, validity (expired / expiring)."""

    serializer_class = MeterSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = meters_visible_to(self.request.user)
        params = self.request.query_params
        for name in ("enterprise", "energy_type", "metering_level"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        if params.get("validity") == "expired":
            qs = qs.expired()
        elif params.get("validity") == "expiring":
            qs = qs.expiring()
        return qs.order_by("enterprise_id", *Meter._meta.ordering)

    def _fields(self, data) -> dict:
        return {k: data[k] for k in METER_FIELDS if k in data}

    def perform_create(self, serializer):
        data = serializer.validated_data
        enterprise = own_enterprise(self.request.user) or data.get("enterprise")
        if enterprise is None:
            raise ValidationError({"enterprise": [_("请指定用能单位。")]})
        serializer.instance = create_meter(self.request.user, enterprise, self._fields(data))

    def perform_update(self, serializer):
        serializer.instance = update_meter(
            serializer.instance, self.request.user, self._fields(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        delete_meter(instance, self.request.user)


class ChangeRecordViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ChangeRecordSerializer

    def get_queryset(self):
        return change_records_visible_to(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=DecisionSerializer, responses=ChangeRecordSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        record = decide_change_record(
            self.get_object(), request.user, confirm=True, comment=_comment(request)
        )
        return Response(ChangeRecordSerializer(record).data)

    @extend_schema(request=DecisionSerializer, responses=ChangeRecordSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        record = decide_change_record(
            self.get_object(), request.user, confirm=False, comment=_comment(request)
        )
        return Response(ChangeRecordSerializer(record).data)


class AccessApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """对接申请 (附表1). Filters: state, region."""

    serializer_class = AccessApplicationSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        qs = access_applications_visible_to(self.request.user).prefetch_related("attachments")
        params = self.request.query_params
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if params.get("region"):
            qs = qs.filter(enterprise__region=params["region"])
        return qs.order_by("-created_at", "-pk")

    def perform_create(self, serializer):
        enterprise = own_enterprise(self.request.user)
        if enterprise is None:
            raise PermissionDenied(_("只有企业用户可以提交对接申请。"))
        serializer.instance = create_application(
            self.request.user, enterprise, dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = update_application(
            serializer.instance, self.request.user, dict(serializer.validated_data)
        )

    def _respond(self, application):
        return Response(AccessApplicationSerializer(application).data)

    @extend_schema(
        request={"multipart/form-data": MaterialSerializer}, responses=MaterialSerializer
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def materials(self, request, pk=None):
        """Upload one of the seven required materials (kind + file)."""
        application = self.get_object()
        form = MaterialSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        attachment = add_material(
            application, request.user, form.validated_data["kind"], form.validated_data["file"]
        )
        return Response(MaterialSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AccessApplicationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._respond(submit_application(self.get_object(), request.user))

    @extend_schema(request=None, responses=AccessApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        return self._respond(start_review(self.get_object(), request.user))

    @extend_schema(request=DecisionSerializer, responses=AccessApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_correction(self, request, pk=None):
        return self._respond(return_application(self.get_object(), request.user, _comment(request)))

    @extend_schema(request=DecisionSerializer, responses=AccessApplicationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._respond(reject_application(self.get_object(), request.user, _comment(request)))

    @extend_schema(request=DecisionSerializer, responses=AccessApplicationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._respond(
            approve_application(self.get_object(), request.user, _comment(request))
        )


def _target_enterprise(request, enterprise_id) -> Enterprise:
    if enterprise_id is None:
        enterprise = own_enterprise(request.user)
        if enterprise is None:
            raise NotFound(_("请指定企业 (enterprise)。"))
        return enterprise
    return credential_enterprise_or_404(request.user, enterprise_id)


class DeviceCertificateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """端设备证书. POST a CSR to have one signed; `generate` is the PKCS#12 fallback."""

    serializer_class = DeviceCertificateSerializer

    def get_queryset(self):
        qs = certificates_visible_to(self.request.user)
        enterprise = self.request.query_params.get("enterprise")
        if enterprise:
            if not enterprise.isdigit():
                raise ValidationError({"enterprise": [_("应为企业编号（整数）。")]})
            qs = qs.filter(enterprise_id=enterprise)
        return qs.order_by("-issued_at", "-pk")

    @extend_schema(request=CsrSerializer, responses={201: DeviceCertificateSerializer})
    def create(self, request):
        form = CsrSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        enterprise = _target_enterprise(request, data.get("enterprise"))
        cert = issue_certificate(enterprise, request.user, data["csr"], data["device_serial"])
        return Response(DeviceCertificateSerializer(cert).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GenerateSerializer, responses={201: GeneratedSerializer})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Key pair made by the portal; the PKCS#12 and its password are in this response only."""
        form = GenerateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        enterprise = _target_enterprise(request, data.get("enterprise"))
        bundle = generate_certificate(
            enterprise, request.user, data["device_serial"], data["key_type"]
        )
        response = Response(
            {
                "certificate": DeviceCertificateSerializer(bundle.certificate).data,
                "pkcs12_base64": base64.b64encode(bundle.pkcs12).decode(),
                "password": bundle.password,
            },
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=RevokeSerializer, responses=DeviceCertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        certificate = self.get_object()
        form = RevokeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        cert = revoke_certificate(
            certificate,
            request.user,
            form.validated_data["reason"],
            form.validated_data["comment"],
        )
        return Response(DeviceCertificateSerializer(cert).data)

    @extend_schema(responses={(200, "application/x-pem-file"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        cert = self.get_object()
        response = HttpResponse(cert.certificate_pem, content_type="application/x-pem-file")
        response["Content-Disposition"] = f'attachment; filename="{cert.device_serial}.crt.pem"'
        return response


class VpnAccountViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VpnAccountSerializer

    def get_queryset(self):
        return vpn_accounts_visible_to(self.request.user).order_by("pk")

    @extend_schema(request=None, responses=VpnPasswordSerializer)
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, pk=None):
        """A new random password, returned only in this response."""
        account, password = set_vpn_password(self.get_object(), request.user)
        response = Response({"account": VpnAccountSerializer(account).data, "password": password})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=DecisionSerializer, responses=VpnAccountSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        account = set_vpn_active(self.get_object(), request.user, False, _comment(request))
        return Response(VpnAccountSerializer(account).data)

    @extend_schema(request=DecisionSerializer, responses=VpnAccountSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        account = set_vpn_active(self.get_object(), request.user, True, _comment(request))
        return Response(VpnAccountSerializer(account).data)


class PublicPkiView(APIView):
    """Public files of the CA (no login): devices and relying parties fetch them."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    parser_classes = [JSONParser]

    def root(self):
        try:
            return RootCertificate.current()
        except CANotReady:
            raise NotFound(_("CA 尚未初始化。")) from None


class CaCertificateView(PublicPkiView):
    @extend_schema(responses={(200, "application/x-pem-file"): OpenApiTypes.STR})
    def get(self, request):
        """The root certificate (the whole chain: devices are signed by the root directly)."""
        return HttpResponse(self.root().certificate_pem, content_type="application/x-pem-file")


class CrlView(PublicPkiView):
    @extend_schema(responses={(200, "application/pkix-crl"): OpenApiTypes.BINARY})
    def get(self, request):
        """The current certificate revocation list, DER encoded."""
        self.root()
        return HttpResponse(current_crl_der(), content_type="application/pkix-crl")
