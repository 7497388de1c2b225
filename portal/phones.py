"""Telephone numbers as Chinese forms ask for them: a mobile (13800000000) or a landline
with its area code (027-87654321, 02787654321), optionally with +86 and an extension."""

import re

from django.utils.translation import gettext as _

MOBILE = r"1[3-9]\d{9}"
LANDLINE = r"0\d{2,3}[- ]?\d{7,8}(?:[- ]?(?:转|ext\.?|x)?\d{1,6})?"
PHONE = re.compile(rf"(?:\+?86[- ]?)?(?:{MOBILE}|{LANDLINE})", re.IGNORECASE)


def phone_error(value: str) -> str | None:
    """Why `value` is not a telephone number, or None when it is one."""
    if PHONE.fullmatch((value or "").strip()):
        return None
    return _("请填写有效的电话号码：手机号（11 位）或带区号的固定电话，例如 027-87654321。")
