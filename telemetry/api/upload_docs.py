"""The OpenAPI description of the upload protocol (``telemetry.api.upload``'s views).

Documentation only: the request is checked by ``telemetry.protocol``, not by these
serializers. Shown at ``/api/docs/`` beside ``docs/device-protocol.md``.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from ..protocol import CERT_SERIAL_HEADER, SIGNATURE_HEADER

_RECORD = inline_serializer(
    "UploadRecord",
    {
        "dataCode": serializers.CharField(help_text="18 位数据采集项编码（SPEC §6）"),
        "dataValue": serializers.CharField(help_text="十进制数字字符串，不超过 15 个字符"),
        "convertRation": serializers.CharField(required=False, help_text="折标系数"),
        "valid": serializers.ChoiceField(["1", "0"], help_text="1 有效，0 可疑"),
        "scope": serializers.ChoiceField(["1", "2", "3", "4"]),
        "inputType": serializers.ChoiceField([str(n) for n in range(1, 8)]),
        "statType": serializers.ChoiceField(
            ["0", "1", "2", "3"], help_text="0 实时 1 日 2 月 3 年"
        ),
        "statDate": serializers.CharField(help_text="统计时段起点，yyyy-MM-dd HH:mm:ss，北京时间"),
        "uploadDate": serializers.CharField(required=False),
        "backfill": serializers.BooleanField(required=False, help_text="断点续传补传标记"),
    },
)
_ENVELOPE = inline_serializer(
    "UploadEnvelope",
    {
        "version": serializers.CharField(help_text='协议版本，"1.0"'),
        "messageId": serializers.CharField(max_length=64, help_text="批次编号，每批唯一"),
        "enterpriseCode": serializers.CharField(help_text="统一社会信用代码"),
        "deviceSerial": serializers.CharField(help_text="端设备编号"),
        "sentAt": serializers.CharField(help_text="发送时间，yyyy-MM-dd HH:mm:ss，北京时间"),
        "records": _RECORD.__class__(many=True),
    },
)
_REJECTION = inline_serializer(
    "UploadRejection",
    {
        "index": serializers.IntegerField(allow_null=True),
        "field": serializers.CharField(),
        "reason": serializers.CharField(),
    },
)
_ACCEPTED = inline_serializer(
    "UploadAccepted",
    {
        "messageId": serializers.CharField(),
        "status": serializers.ChoiceField(["queued", "refused"]),
        "accepted": serializers.IntegerField(),
        "rejected": _REJECTION.__class__(many=True),
        "platformTime": serializers.CharField(),
    },
)
_REPLACED = inline_serializer(
    "ReplacedReading",
    {
        "dataValue": serializers.CharField(),
        "valid": serializers.IntegerField(),
        "arrival": serializers.CharField(),
        "receivedAt": serializers.CharField(),
        "messageId": serializers.CharField(allow_null=True, help_text="人工填报时为 null"),
    },
)
_CORRECTION = inline_serializer(
    "UploadCorrection",
    {
        "dataCode": serializers.CharField(),
        "statDate": serializers.CharField(),
        "dataValue": serializers.CharField(),
        "valid": serializers.IntegerField(),
        "arrival": serializers.CharField(help_text="到达类别，按更正读数的接收时间判定"),
        "replaced": _REPLACED,
    },
)
_RECEIPT = inline_serializer(
    "UploadReceipt",
    {
        "messageId": serializers.CharField(),
        "status": serializers.ChoiceField(["queued", "stored", "refused"]),
        "recordCount": serializers.IntegerField(),
        "accepted": serializers.IntegerField(),
        "rejected": _REJECTION.__class__(many=True),
        "storedCount": serializers.IntegerField(help_text="新入库的时段数"),
        "correctedCount": serializers.IntegerField(
            help_text="更正的时段数：已存读数被本批次中接收更晚、数值或有效标志不同的读数替换"
        ),
        "duplicateCount": serializers.IntegerField(
            help_text="重复：与已存读数完全相同，或接收早于已存读数，均不改变任何数据"
        ),
        "corrections": _CORRECTION.__class__(many=True),
        "receivedAt": serializers.CharField(),
        "storedAt": serializers.CharField(allow_null=True),
        "platformTime": serializers.CharField(),
    },
)
# An error answer's items: a refused record names its index; a refused request (signature,
# certificate, body) names only the field.
_ERROR_ITEM = inline_serializer(
    "UploadErrorItem",
    {
        "index": serializers.IntegerField(allow_null=True, required=False),
        "field": serializers.CharField(),
        "reason": serializers.CharField(),
    },
)
_ERROR = inline_serializer(
    "UploadError",
    {"detail": serializers.CharField(), "errors": _ERROR_ITEM.__class__(many=True)},
)
_SIGNED_HEADERS = [
    OpenApiParameter(
        CERT_SERIAL_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description="端设备证书序列号，小写十六进制，无前导零",
    ),
    OpenApiParameter(
        SIGNATURE_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description="对原始请求体（GET 为请求路径加查询串）的 SHA-256 签名，Base64；"
        "ECDSA P-256（DER）或 RSA PKCS#1 v1.5，依证书密钥类型",
    ),
]
_EXAMPLE_BODY = {
    "version": "1.0",
    "messageId": "7f1c2b1e-0d7a-4d55-9a61-3c1f0e9b2a10",
    "enterpriseCode": "91420100MA4KXXXX0X",
    "deviceSerial": "HB-DEV-0001",
    "sentAt": "2026-03-01 00:16:03",
    "records": [
        {
            "dataCode": "000000000133000000",
            "dataValue": "1234.56",
            "convertRation": "0.1229",
            "valid": "1",
            "scope": "1",
            "inputType": "4",
            "statType": "0",
            "statDate": "2026-03-01 00:00:00",
            "uploadDate": "2026-03-01 00:16:03",
            "backfill": False,
        },
        {
            "dataCode": "000000000133000000",
            "dataValue": "abc",
            "valid": "1",
            "scope": "1",
            "inputType": "4",
            "statType": "0",
            "statDate": "2026-03-01 00:15:00",
        },
    ],
}


upload_schema = extend_schema(
    operation_id="telemetry_upload",
    summary="端设备上传一批读数（签名，幂等）",
    description=(
        "Body: the envelope of SPEC §10 without `signature`, sent byte for byte as signed. "
        "The raw body is stored before the answer; readings are written by a worker and the "
        "receipt moves from queued to stored. Every rejected record is listed at once. A "
        "repeated messageId with the same body returns the first receipt (200) and stores "
        "nothing; with another body it is refused (409)."
    ),
    parameters=_SIGNED_HEADERS,
    request={"application/json": _ENVELOPE},
    responses={
        202: OpenApiResponse(_ACCEPTED, description="已保存，等待入库"),
        200: OpenApiResponse(
            _RECEIPT, description="重复的批次（返回首次回执）或全部记录被拒收（status=refused）"
        ),
        400: OpenApiResponse(_ERROR, description="报文格式错误、发送时间偏差过大"),
        401: OpenApiResponse(_ERROR, description="缺少签名、证书未知或已过期、签名错误"),
        403: OpenApiResponse(_ERROR, description="证书已吊销、证书与企业或端设备不符"),
        409: OpenApiResponse(_ERROR, description="messageId 已用于内容不同的批次"),
        413: OpenApiResponse(_ERROR, description="请求体或记录数超过上限"),
    },
    examples=[
        OpenApiExample("上传批次", value=_EXAMPLE_BODY, request_only=True),
        OpenApiExample(
            "已接收（第二条被拒收）",
            status_codes=["202"],
            response_only=True,
            value={
                "messageId": _EXAMPLE_BODY["messageId"],
                "status": "queued",
                "accepted": 1,
                "rejected": [
                    {
                        "index": 1,
                        "field": "dataValue",
                        "reason": "dataValue 应为十进制数字（如 \"1234.56\"），收到 'abc'",
                    }
                ],
                "platformTime": "2026-03-01 00:16:04",
            },
        ),
        OpenApiExample(
            "签名错误",
            status_codes=["401"],
            response_only=True,
            value={
                "detail": "签名校验失败",
                "errors": [{"field": SIGNATURE_HEADER, "reason": "签名校验失败"}],
            },
        ),
        OpenApiExample(
            "messageId 重复使用",
            status_codes=["409"],
            response_only=True,
            value={
                "detail": "messageId 已用于另一份内容不同的批次",
                "errors": [
                    {"field": "messageId", "reason": "messageId 已用于另一份内容不同的批次"}
                ],
            },
        ),
    ],
)

receipt_schema = extend_schema(
    operation_id="telemetry_upload_receipt",
    summary="查询批次回执",
    parameters=[
        *[
            OpenApiParameter(p.name, p.type, p.location, required=False, description=p.description)
            for p in _SIGNED_HEADERS
        ],
        OpenApiParameter(
            "device", OpenApiTypes.STR, description="端设备编号（门户用户查询时可选）"
        ),
    ],
    responses={
        200: _RECEIPT,
        401: OpenApiResponse(_ERROR, description="未登录且未签名"),
        404: OpenApiResponse(_ERROR, description="没有这个批次（或不在可见范围内）"),
    },
)
