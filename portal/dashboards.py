"""Extension points of the dashboards and navigation.

Each app registers, in its AppConfig.ready(), the reviewer work queues, navigation links
and dashboard panels it contributes, so the portal app never imports upward.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class WorkQueue:
    """A dashboard card: how many open items wait, opening the list filtered to them."""

    label: str
    url_name: str
    count: Callable[[], int]  # one COUNT query, of open items only
    query: str = ""  # the filter that makes the list show what the count counts
    rule: Callable | None = None  # who sees the card (default: every reviewer)

    @property
    def url(self) -> str:
        return reverse(self.url_name) + (f"?{self.query}" if self.query else "")

    def shown_to(self, user) -> bool:
        return self.rule is None or self.rule(user)


@dataclass(frozen=True)
class NavLink:
    label: str
    url_name: str
    rule: Callable  # an access rule from portal.access

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class Panel:
    """A card on a dashboard: a template and the data it needs."""

    template: str
    data: Callable = field(default=lambda user, enterprise: {})


REVIEWER_QUEUES: list[WorkQueue] = []
# The platform operator's (省平台开发单位) own work: schemes awaiting its confirmation.
OPERATOR_QUEUES: list[WorkQueue] = []
NAV_LINKS: list[NavLink] = []
ENTERPRISE_PANELS: list[Panel] = []
GOVERNMENT_PANELS: list[Panel] = []
PUBLIC_LINKS: list[NavLink] = []


def pending_registrations() -> int:
    from .models import Enterprise, RegistrationStatus

    return Enterprise.objects.filter(registration_status=RegistrationStatus.PENDING).count()


REVIEWER_QUEUES.append(
    WorkQueue(_("待审核的企业注册"), "registration_queue", pending_registrations)
)


def render_panels(panels: list[Panel], user, enterprise=None) -> list[dict]:
    return [{"template": p.template, "data": p.data(user, enterprise)} for p in panels]
