"""What this app adds to the dashboards: cards, work queue and navigation links.

The one place for them; ``TelemetryConfig.ready`` calls ``register``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import access
from portal.dashboards import (
    ENTERPRISE_PANELS,
    GOVERNMENT_PANELS,
    NAV_LINKS,
    REVIEWER_QUEUES,
    NavLink,
    Panel,
    WorkQueue,
)


def registry_reader(user) -> bool:
    """Enterprise members, institute staff and government viewers read the registry."""
    return access.enterprise_user(user) or access.reviewer(user) or access.government(user)


def item_changes_pending() -> int:
    from .services.item_changes import pending_count

    return pending_count()


def enterprise_panel(user, enterprise) -> dict:
    from .models import Alarm
    from .overview import trial_summary

    return {
        **trial_summary(enterprise),
        "open_alarms": Alarm.objects.open().filter(enterprise=enterprise).count(),
    }


def government_panel(user, enterprise=None) -> dict:
    from portal.permissions import enterprises_visible_to

    from .overview import region_health, region_summary

    enterprises = enterprises_visible_to(user).filter(connection__isnull=False)
    return {"summary": region_summary(region_health(enterprises))}


def relay_flags_open() -> int:
    from .models import RelayFlag, RelayFlagStatus

    return RelayFlag.objects.filter(status=RelayFlagStatus.OPEN).count()


def register() -> None:
    NAV_LINKS.append(NavLink(_("端设备与采集项"), "telemetry:registry_home", registry_reader))
    # Passed trials waiting for their report are counted by reports' card (待出具符合性测试
    # 报告), which leaves out those whose report exists: only open items are "waiting".
    REVIEWER_QUEUES.append(
        WorkQueue(_("数据采集项变更待审核"), "telemetry:item_change_list", item_changes_pending)
    )
    REVIEWER_QUEUES.append(
        WorkQueue(_("疑似第三方中转待审核"), "telemetry:relay_flags", relay_flags_open)
    )
    NAV_LINKS.append(NavLink(_("试运行看板"), "telemetry:trial_board", access.reviewer))
    NAV_LINKS.append(NavLink(_("数据监测"), "telemetry:monitoring", access.enterprise_user))
    NAV_LINKS.append(NavLink(_("上传情况"), "telemetry:region_health", access.government))
    NAV_LINKS.append(NavLink(_("能耗数据分析"), "telemetry:analysis_home", registry_reader))
    ENTERPRISE_PANELS.append(Panel("telemetry/monitoring/_panel_enterprise.html", enterprise_panel))
    GOVERNMENT_PANELS.append(Panel("telemetry/monitoring/_panel_government.html", government_panel))
