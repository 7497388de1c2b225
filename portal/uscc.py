"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

18 characters from a 31-symbol alphabet (no I, O, Z, S, V); positions 3-8 are the
administrative-division code; the last is a check character over the first 17, weighted
3^i mod 31.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_error(code: str) -> str | None:
    """The reason a code is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return _("统一社会信用代码应为 18 位，当前为 %(n)d 位。") % {"n": len(code)}
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        return _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、Z、S、V）。") % {
            "chars": "、".join(bad)
        }
    if not code[2:8].isdigit():
        return _("统一社会信用代码第 3–8 位应为行政区划码（数字）。")
    expected = check_character(code[:17])
    if code[17] != expected:
        return _("统一社会信用代码校验位错误：按 GB 32100-2015 应为 %(c)s。") % {"c": expected}
    return None


def validate_uscc(value: str) -> None:
    reason = uscc_error(value)
    if reason:
        raise ValidationError(reason, code="invalid_uscc")


def make_uscc(prefix17: str) -> str:
    """Complete a 17-character prefix with its check character (demo data, tests)."""
    return prefix17 + check_character(prefix17)
