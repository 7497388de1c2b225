"""Issue (or renew) the document-signing certificate (文件签章) from the active root."""

from django.core.management.base import BaseCommand, CommandError

from applications import pki_docsign
from applications.models import CANotReady
from applications.services.document_signing import issue_signing_certificate


class Command(BaseCommand):
    help = (
        "由当前 CA 根证书签发文件签章证书（已有可用证书时什么也不做）；"
        "私钥以 CA_KEY_PASSPHRASE 加密保存。续期或更换请加 --replace。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--replace",
            action="store_true",
            help="即使已有可用的签章证书也签发新证书并停用旧证书（续期、私钥疑似泄露时）",
        )
        parser.add_argument("--days", type=int, default=pki_docsign.DEFAULT_DAYS)

    def handle(self, *args, **options):
        try:
            signing = issue_signing_certificate(replace=options["replace"], days=options["days"])
        except CANotReady as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"文件签章证书就绪：序列号 {signing.serial_hex}，"
                f"SHA-256 指纹 {signing.fingerprint}，有效期至 {signing.not_after:%Y-%m-%d}"
            )
        )
