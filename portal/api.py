"""REST API v1 for enterprises, memberships and the inbox, scoped like the pages."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .lockouts import is_locked_out, lockout_response
from .models import AuditEvent
from .permissions import (
    can_edit_enterprise,
    enterprises_visible_to,
    locked_enterprise_fields,
    memberships_visible_to,
    notifications_visible_to,
)
from .roles import is_staff_reviewer
from .serializers import (
    DecisionSerializer,
    EnterpriseFilterSerializer,
    EnterpriseSerializer,
    MembershipSerializer,
    NotificationSerializer,
    UserSerializer,
)
from .services import approve_registration, overturn_rejection, reject_registration


class IsReviewer(permissions.BasePermission):
    message = gettext_lazy("只有省计量院审核人员可以执行此操作。")

    def has_permission(self, request, view):
        return is_staff_reviewer(request.user)


class MeView(APIView):
    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class EnterpriseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = EnterpriseSerializer

    def get_queryset(self):
        qs = enterprises_visible_to(self.request.user).order_by("pk")
        filters = EnterpriseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return qs.filter(**{k: v for k, v in filters.validated_data.items() if v != ""})

    def perform_update(self, serializer):
        if not can_edit_enterprise(self.request.user, serializer.instance):
            raise PermissionDenied(_("只有企业管理员或审核人员可以修改企业信息。"))
        locked = locked_enterprise_fields(self.request.user, serializer.instance)
        refused = {
            name: [_("注册审核通过后如需更正，请联系省计量院。")]
            for name in locked
            if name in serializer.validated_data
            and serializer.validated_data[name] != getattr(serializer.instance, name)
        }
        if refused:
            raise ValidationError(refused)
        changed = [
            name
            for name, value in serializer.validated_data.items()
            if getattr(serializer.instance, name) != value
        ]
        enterprise = serializer.save()
        AuditEvent.record(
            enterprise, self.request.user, "enterprise_updated", context={"fields": changed}
        )

    @extend_schema(request=DecisionSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsReviewer])
    def approve(self, request, pk=None):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = approve_registration(self.get_object(), request.user, data.data["comment"])
        return Response(EnterpriseSerializer(enterprise).data)

    @extend_schema(request=DecisionSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsReviewer])
    def overturn(self, request, pk=None):
        """Approve a refused registration; the comment (the reason) is required."""
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = overturn_rejection(self.get_object(), request.user, data.data["comment"])
        return Response(EnterpriseSerializer(enterprise).data)

    @extend_schema(request=DecisionSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsReviewer])
    def reject(self, request, pk=None):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = reject_registration(self.get_object(), request.user, data.data["comment"])
        return Response(EnterpriseSerializer(enterprise).data)


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MembershipSerializer

    def get_queryset(self):
        return memberships_visible_to(self.request.user).order_by("pk")


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return notifications_visible_to(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = self.get_object()
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return Response(NotificationSerializer(note).data)


class ObtainTokenView(ObtainAuthToken):
    """POST username and password for an API token; a locked-out account or address is
    refused (429) before its password is checked, as on the login page."""

    def post(self, request, *args, **kwargs):
        username = request.data.get("username", "") if hasattr(request.data, "get") else ""
        if is_locked_out(request, str(username)):
            return lockout_response(request)
        return super().post(request, *args, **kwargs)
