"""API errors as JSON that name the field and the reason.

Shape: {"detail": "<summary>", "errors": [{"field": "uscc", "reason": "..."}]}.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .attachments import AttachmentRejected
from .workflow import TransitionRefused


def flatten(detail, prefix="") -> list[dict]:
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else "non_field_errors"
            errors += flatten(value, f"{prefix}.{name}" if prefix else name)
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [{"field": prefix or "non_field_errors", "reason": str(item)} for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors += flatten(item, f"{prefix}[{index}]")
        return errors
    return [{"field": prefix or "non_field_errors", "reason": str(detail)}]


def exception_handler(exc, context):
    if isinstance(exc, TransitionRefused):
        return Response(
            {"detail": exc.message, "errors": [exc.as_dict()]}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, AttachmentRejected):
        exc = ValidationError({exc.field: [exc.reason]})
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = {"detail": _("提交的数据有误。"), "errors": flatten(exc.detail)}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]), "errors": []}
    return response
