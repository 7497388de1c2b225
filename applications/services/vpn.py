"""VPN accounts: opening one with a tunnel address from the pool, setting its password,
disabling and enabling it."""

import ipaddress
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from portal.models import AuditEvent
from portal.notifications import enterprise_users, notify
from portal.roles import is_staff_reviewer
from portal.sentences import Sentence

from ..models import VpnAccount
from ..permissions import can_manage_credentials
from ._common import credentials_link, refused

# --- VPN accounts --------------------------------------------------------------------------

# Read off a screen and typed into a device: no characters that look alike
# (0/O/o, 1/l/I/|, 5/S, 2/Z, 8/B) and no symbols a shell or a config file would mangle.
LOOK_ALIKES = set("0Oo1lI5S2Z8B")
PASSWORD_ALPHABET = (
    "".join(c for c in string.ascii_letters + string.digits if c not in LOOK_ALIKES) + "#%+-=?@_"
)


def strong_password(length: int = 20) -> str:
    """Random password with upper, lower, digit and symbol, from the OS's CSPRNG."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(not c.isalnum() for c in password)
        ):
            return password


# Any constant will do, as long as nothing else takes this advisory lock.
TUNNEL_POOL_LOCK = 0x56504E


def _lock_tunnel_pool() -> None:
    """Hold the pool until the caller's transaction ends. Without it two approvals at once
    read the same free address, and all but one fail on the unique index."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TUNNEL_POOL_LOCK])


def _free_tunnel_address() -> str:
    pool = ipaddress.ip_network(settings.VPN_TUNNEL_POOL)
    used = set(VpnAccount.objects.values_list("tunnel_address", flat=True))
    hosts = pool.hosts()
    next(hosts, None)  # the first host is the tunnel gateway
    for host in hosts:
        if str(host) not in used:
            return str(host)
    raise refused(_("VPN 地址池 %(p)s 已无空闲地址。") % {"p": settings.VPN_TUNNEL_POOL}, "vpn")


def open_vpn_account(enterprise, actor) -> VpnAccount:
    """The enterprise's account, created once with no usable password: a member sets it in
    the portal and sees it once. Allocation is serialised by the pool lock, which the
    approval's transaction holds until it commits."""
    with transaction.atomic():
        _lock_tunnel_pool()
        existing = VpnAccount.objects.filter(enterprise=enterprise).first()
        if existing is not None:
            return existing
        account = VpnAccount.objects.create(
            enterprise=enterprise,
            username=f"hb{enterprise.uscc.lower()}",
            password_hash=make_password(None),
            tunnel_address=_free_tunnel_address(),
            expires_at=timezone.now() + timedelta(days=settings.VPN_ACCOUNT_DAYS),
        )
        AuditEvent.record(
            account,
            actor,
            "vpn_account_created",
            context={"username": account.username, "address": account.tunnel_address},
        )
    return account


def set_vpn_password(account, actor) -> tuple[VpnAccount, str]:
    """A new random password; returned once for display, only its hash is stored."""
    if not can_manage_credentials(actor, account.enterprise):
        raise PermissionDenied
    password = strong_password()
    with transaction.atomic():
        locked = VpnAccount.objects.select_for_update().get(pk=account.pk)
        locked.password_hash = make_password(password)
        locked.password_set_at = timezone.now()
        locked.save(update_fields=["password_hash", "password_set_at"])
        event = AuditEvent.record(locked, actor, "vpn_password_set")
        notify(
            enterprise_users(locked.enterprise),
            Sentence(gettext_noop("VPN 口令已重新设置")),
            body=Sentence(gettext_noop("如非本企业人员操作，请立即联系省计量院。")),
            link=credentials_link(locked.enterprise),
            event=event,
        )
    return locked, password


def set_vpn_active(account, actor, active: bool, comment="") -> VpnAccount:
    if not is_staff_reviewer(actor):
        raise PermissionDenied(_("只有审核人员可以停用或启用 VPN 账号。"))
    with transaction.atomic():
        locked = VpnAccount.objects.select_for_update().get(pk=account.pk)
        if locked.is_active == active:
            raise refused(_("VPN 账号已是该状态。"), "is_active")
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        event = AuditEvent.record(
            locked,
            actor,
            "vpn_account_enabled" if active else "vpn_account_disabled",
            comment=comment,
        )
        notify(
            enterprise_users(locked.enterprise),
            Sentence(gettext_noop("VPN 账号已启用") if active else gettext_noop("VPN 账号已停用")),
            body=comment,
            link=credentials_link(locked.enterprise),
            event=event,
        )
    return locked
