"""湖北省企业端 CA 证书集成及数据对接资料: what an approved enterprise needs to connect."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from . import pki
from .models import RootCertificate

# The upload endpoint of DESIGN.md section 4 (owned by the telemetry app).
UPLOAD_PATH = "/api/v1/telemetry/uploads"


def integration_pack(enterprise) -> dict:
    root = RootCertificate.current()
    vpn = getattr(enterprise, "vpn_account", None)
    return {
        "enterprise": enterprise.name,
        "uscc": enterprise.uscc,
        "ca_certificate_pem": root.certificate_pem,
        "ca_fingerprint": root.fingerprint,
        "ca_url": settings.SITE_URL + reverse("applications:ca_certificate"),
        "crl_url": settings.SITE_URL + reverse("applications:crl"),
        "upload_endpoint": settings.SITE_URL + UPLOAD_PATH,
        "api_documentation": settings.SITE_URL + reverse("api_docs"),
        "api_schema": settings.SITE_URL + reverse("api_schema"),
        "registration_url": settings.SITE_URL
        + reverse("applications:credentials", args=[enterprise.pk]),
        "enterprise_subsystem_url": settings.SITE_URL + reverse("dashboard"),
        "vpn_username": vpn.username if vpn else "",
        "vpn_tunnel_address": vpn.tunnel_address if vpn else "",
        "headers": {
            "X-Cert-Serial": _("端设备证书序列号（十六进制）"),
            "X-Signature": _(
                "用设备私钥对请求体字节做 SHA-256 签名（ECDSA 或 RSA PKCS#1 v1.5）的 Base64"
            ),
        },
    }


def pack_text(pack: dict) -> str:
    lines = [
        _("%(e)s（统一社会信用代码 %(u)s）：") % {"e": pack["enterprise"], "u": pack["uscc"]},
        _("贵单位的对接申请已审核通过。请按以下资料完成企业端注册与数据对接："),
        "",
        _("1. CA 证书链（附件 ca.pem），SHA-256 指纹：%(f)s") % {"f": pack["ca_fingerprint"]},
        _("   根证书下载：%(u)s") % {"u": pack["ca_url"]},
        _("   证书吊销列表(CRL)：%(u)s") % {"u": pack["crl_url"]},
        _("2. 企业端注册地址（提交端设备证书请求 CSR、设置 VPN 口令）：%(u)s")
        % {"u": pack["registration_url"]},
        _("3. 数据上传接口：POST %(u)s") % {"u": pack["upload_endpoint"]},
        _("   接口文档：%(d)s（OpenAPI：%(s)s）")
        % {"d": pack["api_documentation"], "s": pack["api_schema"]},
        _("   请求头 X-Cert-Serial：%(h)s") % {"h": pack["headers"]["X-Cert-Serial"]},
        _("   请求头 X-Signature：%(h)s") % {"h": pack["headers"]["X-Signature"]},
        _("4. VPN 账号：%(n)s，隧道地址：%(a)s")
        % {"n": pack["vpn_username"], "a": pack["vpn_tunnel_address"]},
        _("   数据须由端设备经此地址直接上传，不得经第三方服务器中转。"),
        _("5. 企业子系统访问地址：%(u)s") % {"u": pack["enterprise_subsystem_url"]},
    ]
    return "\n".join(lines)


def chain_pem(pack: dict) -> bytes:
    return pki.certificate_pem(pki.load_certificate(pack["ca_certificate_pem"].encode()))
