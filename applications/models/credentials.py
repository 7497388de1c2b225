"""The internal CA's root, device certificates and VPN accounts."""

from functools import cached_property

from cryptography import x509
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import pki, pki_docsign


class CANotReady(Exception):
    """No root has been created yet (`manage.py init_ca`)."""


class RootCertificate(models.Model):
    """The CA root. Its key is stored encrypted with settings.CA_KEY_PASSPHRASE and is only
    ever decrypted in this process to sign; no view or endpoint returns it."""

    certificate_pem = models.TextField(_("根证书"))
    encrypted_key_pem = models.TextField(_("加密的根私钥"))
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    not_after = models.DateTimeField(_("有效期至"))
    is_active = models.BooleanField(_("当前使用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    crl_number = models.PositiveIntegerField(_("CRL 序号"), default=0)
    crl_der = models.BinaryField(_("最新 CRL"), blank=True, default=b"")
    crl_updated_at = models.DateTimeField(_("CRL 发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("CA 根证书")
        verbose_name_plural = _("CA 根证书")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_root"
            )
        ]

    def __str__(self):
        return self.certificate().subject.rfc4514_string()

    @classmethod
    def current(cls) -> "RootCertificate":
        root = cls.objects.filter(is_active=True).first()
        if root is None:
            raise CANotReady(_("CA 尚未初始化，请运维人员先执行 manage.py init_ca。"))
        return root

    def certificate(self) -> x509.Certificate:
        return pki.load_certificate(self.certificate_pem.encode())

    def authority(self) -> pki.CertificateAuthority:
        return pki.load_authority(
            self.certificate_pem.encode(),
            self.encrypted_key_pem.encode(),
            settings.CA_KEY_PASSPHRASE.encode(),
        )


class DocumentSigningCertificate(models.Model):
    """The certificate issued PDFs are signed with (文件签章), an end entity of the root.

    Its key is stored encrypted with settings.CA_KEY_PASSPHRASE like the root's and is only
    decrypted in this process to sign. One is active at a time; renewing (or replacing the
    root) issues a new one and keeps the old row, so earlier signatures can still be read.
    """

    root = models.ForeignKey(
        RootCertificate,
        verbose_name=_("签发根证书"),
        on_delete=models.PROTECT,
        related_name="signing_certificates",
    )
    certificate_pem = models.TextField(_("签章证书"))
    encrypted_key_pem = models.TextField(_("加密的签章私钥"))
    serial_hex = models.CharField(_("证书序列号"), max_length=40, unique=True)
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("有效期至"))
    is_active = models.BooleanField(_("当前使用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("文件签章证书")
        verbose_name_plural = _("文件签章证书")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_signing_certificate",
            )
        ]

    def __str__(self):
        return f"{self.certificate().subject.rfc4514_string()} ({self.serial_hex})"

    @classmethod
    def usable(cls) -> "DocumentSigningCertificate | None":
        """The active certificate, if it was issued by the active root and has not expired."""
        return (
            cls.objects.select_related("root")
            .filter(is_active=True, root__is_active=True, not_after__gt=timezone.now())
            .first()
        )

    @cached_property
    def _parsed(self) -> x509.Certificate:
        return pki.load_certificate(self.certificate_pem.encode())

    def certificate(self) -> x509.Certificate:
        return self._parsed

    def private_key(self):
        return pki_docsign.load_signing_key(
            self.certificate(),
            self.encrypted_key_pem.encode(),
            settings.CA_KEY_PASSPHRASE.encode(),
        )


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已吊销")
    EXPIRED = "expired", _("已过期")


class RevocationReason(models.TextChoices):
    """A subset of RFC 5280 CRLReason, valued as cryptography's ReasonFlags."""

    UNSPECIFIED = "unspecified", _("未说明")
    KEY_COMPROMISE = "keyCompromise", _("私钥泄露")
    AFFILIATION_CHANGED = "affiliationChanged", _("单位信息变更")
    SUPERSEDED = "superseded", _("已被新证书替代")
    CESSATION = "cessationOfOperation", _("设备停用")


class CertificateOrigin(models.TextChoices):
    CSR = "csr", _("设备提交 CSR")
    GENERATED = "generated", _("门户生成密钥（PKCS#12）")


class DeviceCertificate(models.Model):
    """A TLS client certificate for one end device (端设备) of one enterprise."""

    enterprise = models.ForeignKey(
        "portal.Enterprise",
        verbose_name=_("所属企业"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    application = models.ForeignKey(
        "applications.AccessApplication",
        verbose_name=_("对接申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    device_serial = models.CharField(_("端设备编号"), max_length=64)
    serial_hex = models.CharField(_("证书序列号"), max_length=40, unique=True)
    certificate_pem = models.TextField(_("证书"))
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64)
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("到期时间"), db_index=True)
    origin = models.CharField(_("密钥来源"), max_length=20, choices=CertificateOrigin)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("吊销原因"), max_length=30, blank=True, choices=RevocationReason
    )
    revocation_comment = models.TextField(_("吊销说明"), blank=True)
    expiry_warned_at = models.DateTimeField(_("到期提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("端设备证书")
        verbose_name_plural = _("端设备证书")
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "device_serial"])]

    def __str__(self):
        return f"{self.device_serial} ({self.serial_hex})"

    def status(self, at=None) -> str:
        at = at or timezone.now()
        if self.revoked_at is not None and self.revoked_at <= at:
            return CertificateStatus.REVOKED
        if at >= self.not_after:
            return CertificateStatus.EXPIRED
        return CertificateStatus.VALID

    def status_label(self) -> str:
        return str(CertificateStatus(self.status()).label)

    @cached_property
    def _parsed(self) -> x509.Certificate:
        return pki.load_certificate(self.certificate_pem.encode())

    def certificate(self) -> x509.Certificate:
        return self._parsed

    @property
    def days_left(self) -> int:
        return (self.not_after - timezone.now()).days


class VpnAccount(models.Model):
    """The enterprise's VPN login into the platform's tunnel; one per enterprise.

    Only a hash of the password is kept. The tunnel address is unique, so the upload API can
    tell the enterprise's own end device from a relay on some other address.
    """

    enterprise = models.OneToOneField(
        "portal.Enterprise",
        verbose_name=_("所属企业"),
        on_delete=models.PROTECT,
        related_name="vpn_account",
    )
    username = models.CharField(_("VPN 用户名"), max_length=40, unique=True)
    password_hash = models.CharField(_("口令哈希"), max_length=200)
    password_set_at = models.DateTimeField(_("口令设置时间"), null=True, blank=True)
    tunnel_address = models.GenericIPAddressField(_("隧道地址"), unique=True, protocol="IPv4")
    expires_at = models.DateTimeField(_("有效期至"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("开通时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("VPN 账号")
        verbose_name_plural = _("VPN 账号")
        ordering = ["username"]

    def __str__(self):
        return self.username

    def is_usable(self, at=None) -> bool:
        at = at or timezone.now()
        return bool(self.is_active and self.password_set_at and at < self.expires_at)

    def check_password(self, raw: str) -> bool:
        from django.contrib.auth.hashers import check_password

        return check_password(raw, self.password_hash)
