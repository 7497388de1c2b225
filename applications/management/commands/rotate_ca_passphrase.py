"""Re-encrypt every stored private key from the old CA passphrase to a new one.

    OLD_CA_KEY_PASSPHRASE=... NEW_CA_KEY_PASSPHRASE=... manage.py rotate_ca_passphrase

Both passphrases come from the environment (or NAME_FILE, as every secret of the portal), never
from the command line, where `ps` and shell history would keep them. OLD_CA_KEY_PASSPHRASE
defaults to the running settings' CA_KEY_PASSPHRASE. The keys are every text field named
`encrypted_*key_pem` of any model (the CA root's, and any later key model that follows the
name, such as a document-signing key); all are rewritten in one transaction, each loaded back
with the new passphrase and compared with the old key before anything is committed. Then
set CA_KEY_PASSPHRASE to the new value and restart the web processes and the workers
(docs/operations.md).
"""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from applications import pki


def secret(name: str) -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


def encrypted_key_fields() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every stored encrypted private key."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            name = field.name
            if (
                isinstance(field, models.TextField)
                and name.startswith("encrypted_")
                and name.endswith("key_pem")
            ):
                found.append((model, name))
    return found


def public_bytes(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def reencrypt(pem: str, old: bytes, new: bytes, label: str) -> str:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=old)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"{label}: 旧口令无法解开此私钥（口令错误或私钥未加密）") from exc
    rewritten = pki.encrypt_private_key(key, new)
    again = serialization.load_pem_private_key(rewritten, password=new)
    if public_bytes(again) != public_bytes(key):
        raise CommandError(f"{label}: 重新加密后的私钥与原私钥不一致")
    return rewritten.decode()


class Command(BaseCommand):
    help = (
        "以新口令重新加密所有保存的私钥（CA 根私钥等）：旧口令取自 OLD_CA_KEY_PASSPHRASE"
        "（缺省为当前 CA_KEY_PASSPHRASE），新口令取自 NEW_CA_KEY_PASSPHRASE；全部成功才提交。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="只检查旧口令能否解开每个私钥，不做修改"
        )

    def handle(self, *args, check=False, **options):
        from django.conf import settings

        old = (secret("OLD_CA_KEY_PASSPHRASE") or settings.CA_KEY_PASSPHRASE).encode()
        new = secret("NEW_CA_KEY_PASSPHRASE").encode()
        if not check:
            if not new:
                raise CommandError("请在环境变量 NEW_CA_KEY_PASSPHRASE 中给出新口令")
            if new == old:
                raise CommandError("新口令与旧口令相同")
            if len(new) < 16:
                raise CommandError("新口令至少 16 个字符")
        fields = encrypted_key_fields()
        count = 0
        with transaction.atomic():
            for model, field in fields:
                for row in model.objects.select_for_update().order_by("pk"):
                    label = f"{model._meta.label} #{row.pk}.{field}"
                    rewritten = reencrypt(getattr(row, field), old, new or old, label)
                    if not check:
                        model.objects.filter(pk=row.pk).update(**{field: rewritten})
                    count += 1
                    self.stdout.write(f"{label}: {'可以解开' if check else '已重新加密'}")
        names = ", ".join(f"{m._meta.label}.{f}" for m, f in fields)
        if check:
            self.stdout.write(self.style.SUCCESS(f"旧口令可以解开全部 {count} 个私钥（{names}）"))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已用新口令重新加密 {count} 个私钥（{names}）。"
                    "请把 CA_KEY_PASSPHRASE 改为新口令并重启 web 与 worker 进程。"
                )
            )
