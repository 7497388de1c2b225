"""Helpers shared by the scheme, access-application, VPN and certificate operations."""

import re

from django.urls import reverse
from django.utils.translation import gettext as _

from portal.workflow import RefusalReason, TransitionRefused


def refused(detail, field="state") -> TransitionRefused:
    return TransitionRefused(RefusalReason.CONDITION_UNMET, field=field, detail=detail)


def credentials_link(enterprise) -> str:
    return reverse("applications:credentials", args=[enterprise.pk])


DEVICE_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def DEVICE_SERIAL_MESSAGE():
    return _("端设备编号只能包含字母、数字、点、下划线和连字符，最长 64 位。")
