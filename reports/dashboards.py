"""What this app adds to the navigation and dashboards (registered in ReportsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from portal import access
from portal.dashboards import NAV_LINKS, NavLink


def register() -> None:
    NAV_LINKS.append(NavLink(_("印章图片"), "reports:seal", access.operator))
