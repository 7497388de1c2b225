from importlib import import_module

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from portal.demo import DEMO_PASSWORD

# Each app that has demo data provides `<app>.demo.seed(context, log)`; they run in this
# order because later stages build on the records of earlier ones.
STAGE_APPS = ["applications", "telemetry", "reports", "acceptance"]


class Command(BaseCommand):
    help = "Create or refresh the demo province (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        from portal import demo

        # Demo notifications stay in the inbox; their e-mails are not printed to the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            context = self.seed_all(demo)
        self.print_logins(context)

    def seed_all(self, demo):
        context = demo.seed(log=self.stdout.write)
        for app in STAGE_APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError as missing:
                if missing.name != f"{app}.demo":
                    raise
                continue
            module.seed(context, log=self.stdout.write)
        import_module("acceptance.demo_supervision").seed(context, log=self.stdout.write)
        return context

    def print_logins(self, context):
        self.stdout.write(
            self.style.SUCCESS(f"演示数据就绪：{len(context['enterprises'])} 家重点用能单位。")
        )
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role, where in context["logins"]:
            self.stdout.write(f"  {username:<12} {role}  {where}")
        self.stdout.write(f"  ent01 … ent{len(context['enterprises']):02d} 为各企业的企业用户")
