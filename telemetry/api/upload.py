"""The device upload protocol: ``POST /api/v1/telemetry/uploads`` and its receipts.

Thin views: size check, device authentication over the exact bytes, then the service in
``telemetry.services.uploads``. The wire format is documented in the OpenAPI schema
(``upload_docs``) and in ``docs/device-protocol.md``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from portal.client_address import source_address

from ..auth import CERT_SERIAL_META, DeviceAuthError, authenticate_device
from ..models import UploadBatch
from ..permissions import upload_batches_visible_to
from ..protocol import CERT_SERIAL_HEADER, SIGNATURE_HEADER
from ..services.uploads import Answer, receipt, receive_upload, refusal
from .upload_docs import receipt_schema, upload_schema


def _json(answer: Answer) -> JsonResponse:
    response = JsonResponse(
        answer.payload, status=answer.status, json_dumps_params={"ensure_ascii": False}
    )
    if answer.status == 401:
        response["WWW-Authenticate"] = (
            f'Signature headers="{CERT_SERIAL_HEADER} {SIGNATURE_HEADER}"'
        )
    return response


def _auth_refusal(exc: DeviceAuthError) -> JsonResponse:
    return _json(refusal(exc.status, exc.field, exc.reason))


class UploadView(APIView):
    """``POST /api/v1/telemetry/uploads``: a signed batch of readings from an end device."""

    # The device authenticates itself by signature over the exact body (telemetry.auth);
    # no session, so no CSRF, and no DRF parser touches the bytes before they are checked.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []

    @upload_schema
    def post(self, request):
        limit = settings.TELEMETRY_MAX_BODY_BYTES
        too_big = refusal(413, "body", f"请求体超过 {limit} 字节的上限，请减少每批记录数")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return _json(too_big)
        body = request.body
        if len(body) > limit:
            return _json(too_big)
        try:
            identity = authenticate_device(request, body)
        except DeviceAuthError as exc:
            return _auth_refusal(exc)
        return _json(receive_upload(identity, body, source_address(request)))


class ReceiptView(APIView):
    """``GET /api/v1/telemetry/uploads/<messageId>``: the receipt of one batch.

    A device signs the request target; a logged-in user (session or token) sees receipts
    of the enterprises in their scope.
    """

    permission_classes = [AllowAny]

    @receipt_schema
    def get(self, request, message_id):
        if CERT_SERIAL_META in request.META:
            try:
                identity = authenticate_device(request, request.get_full_path().encode())
            except DeviceAuthError as exc:
                return _auth_refusal(exc)
            batches = UploadBatch.objects.filter(device=identity.device)
        elif request.user.is_authenticated:
            batches = upload_batches_visible_to(request.user)
            if request.query_params.get("device"):
                batches = batches.filter(device__serial=request.query_params["device"])
        else:
            return _json(refusal(401, "auth", "请登录，或由端设备用证书签名查询"))
        batch = batches.filter(message_id=message_id).order_by("-received_at").first()
        if batch is None:
            return _json(refusal(404, "messageId", f"没有找到批次 {message_id}"))
        return _json(Answer(200, receipt(batch)))
