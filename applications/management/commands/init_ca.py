"""Create the portal's root CA, or import an existing one; the key is stored encrypted.

It also issues the document-signing certificate (文件签章) from the root, and with
--if-missing on an existing root issues it when missing, so an install script that runs
`init_ca --if-missing` on every deploy gets one. Renewal: `init_signing_cert --replace`.
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from applications import pki
from applications.models import RootCertificate
from applications.services.document_signing import issue_signing_certificate
from portal.models import AuditEvent


class Command(BaseCommand):
    help = "创建（或导入）端设备证书的 CA 根证书；私钥以 CA_KEY_PASSPHRASE 加密保存。"

    def add_arguments(self, parser):
        parser.add_argument("--common-name", default="湖北省重点用能单位能耗在线监测 CA")
        parser.add_argument("--days", type=int, default=3650)
        parser.add_argument("--import-cert", help="已有 CA 证书 (PEM) 的路径")
        parser.add_argument("--import-key", help="已有 CA 私钥 (PEM) 的路径")
        parser.add_argument(
            "--import-key-passphrase-env",
            help="保存已有私钥口令的环境变量名（私钥未加密时省略）",
        )
        parser.add_argument("--replace", action="store_true", help="已有根证书时停用旧的并改用新的")
        parser.add_argument(
            "--if-missing", action="store_true", help="已有根证书时什么也不做（供安装脚本使用）"
        )

    def handle(self, *args, **options):
        existing = RootCertificate.objects.filter(is_active=True).first()
        if existing and options["if_missing"]:
            self.stdout.write(f"CA 已存在：{existing.fingerprint}")
            self._signing_certificate()
            return
        if existing and not options["replace"]:
            raise CommandError(
                "CA 根证书已存在；如需替换请加 --replace（已签发的证书将随之失效）。"
            )
        authority = self._import(options) if options["import_cert"] else self._create(options)
        passphrase = settings.CA_KEY_PASSPHRASE.encode()
        encrypted = pki.encrypt_private_key(authority.private_key, passphrase)
        cert_pem = pki.certificate_pem(authority.certificate)
        pki.load_authority(cert_pem, encrypted, passphrase)  # proves what we store can be read
        with transaction.atomic():
            RootCertificate.objects.filter(is_active=True).update(is_active=False)
            root = RootCertificate.objects.create(
                certificate_pem=cert_pem.decode(),
                encrypted_key_pem=encrypted.decode(),
                fingerprint=pki.fingerprint_sha256(authority.certificate),
                not_after=authority.certificate.not_valid_after_utc,
            )
            AuditEvent.record(
                root,
                None,
                "ca_initialised",
                context={"imported": bool(options["import_cert"]), "fingerprint": root.fingerprint},
            )
        self.stdout.write(self.style.SUCCESS(f"CA 根证书就绪，SHA-256 指纹：{root.fingerprint}"))
        self._signing_certificate()

    def _signing_certificate(self):
        signing = issue_signing_certificate()
        self.stdout.write(
            f"文件签章证书：序列号 {signing.serial_hex}，有效期至 {signing.not_after:%Y-%m-%d}"
        )

    def _create(self, options):
        return pki.create_root(common_name=options["common_name"], days=options["days"])

    def _import(self, options):
        if not options["import_key"]:
            raise CommandError("导入时须同时给出 --import-cert 和 --import-key。")
        try:
            cert_pem = Path(options["import_cert"]).read_bytes()
            key_pem = Path(options["import_key"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件：{exc}") from exc
        env_name = options["import_key_passphrase_env"]
        password = os.environ.get(env_name, "").encode() if env_name else None
        try:
            key = serialization.load_pem_private_key(key_pem, password=password or None)
        except (ValueError, TypeError) as exc:
            raise CommandError("无法读取 CA 私钥：口令错误或文件格式不正确。") from exc
        # Re-encrypt with our passphrase and load it back: this checks that the key matches
        # the certificate and that the certificate is a CA.
        passphrase = settings.CA_KEY_PASSPHRASE.encode()
        try:
            return pki.load_authority(
                cert_pem, pki.encrypt_private_key(key, passphrase), passphrase
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
