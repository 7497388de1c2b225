"""What an enterprise has registered, for the access application's consistency panel
(applications.consistency.REGISTERED, filled in TelemetryConfig.ready)."""

from .models import DataItem, EndDevice


def data_item_count(enterprise) -> int:
    return DataItem.objects.filter(enterprise=enterprise, is_active=True).count()


def device_serials(enterprise) -> list[str]:
    return list(
        EndDevice.objects.filter(enterprise=enterprise, is_active=True)
        .order_by("serial")
        .values_list("serial", flat=True)
    )


def register() -> None:
    from applications.consistency import REGISTERED

    REGISTERED["data_items"] = data_item_count
    REGISTERED["device_serials"] = device_serials
