"""Connections, trials, the registry, uploads and the monitoring records in the admin.

Read-only (``portal.admin.ServiceMadeAdmin``): devices, items, batches, corrections, alarms
and filings are made by the services and the ingestion, the connection's state is an FSM
field, and the energy dictionary is loaded from the standard's table. The operator restarts
a trial with an action that calls the same service as the trial page. Upload bodies are
shown by size.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from portal.admin import (
    CommentActionForm,
    EnterpriseRecordAdmin,
    ServiceMadeAdmin,
    apply_service,
)

from .forms import RestartTrialForm
from .models import (
    Alarm,
    Connection,
    DataItem,
    EndDevice,
    EnergyDictionary,
    EnergyType,
    HistoricalEnergyImport,
    ItemChangeRequest,
    MonthlyFiling,
    OutageNotice,
    ReadingRevision,
    TrialRun,
    UploadBatch,
    UploadRefusal,
)
from .services.trial import restart_trial


class RestartActionForm(CommentActionForm):
    comment = forms.CharField(label=_("重新开始的原因"), required=False)


@admin.register(Connection)
class ConnectionAdmin(EnterpriseRecordAdmin):
    list_display = (
        "enterprise",
        "state",
        "integration_started_at",
        "first_reading_at",
        "trial_started_on",
        "trial_finished_at",
    )
    list_filter = ("state",)
    action_form = RestartActionForm
    actions = ["restart"]

    @admin.action(description=_("重新开始稳定上传试运行"))
    def restart(self, request, queryset):
        # The trial page's form: a reason is required, the new window starts tomorrow.
        form = RestartTrialForm({"comment": request.POST.get("comment", ""), "start": ""})
        if not form.is_valid():
            for field, errors in form.errors.items():
                label = form.fields[field].label
                self.message_user(request, f"{label}: {'；'.join(errors)}", messages.ERROR)
            return
        apply_service(
            self,
            request,
            queryset,
            lambda connection: restart_trial(
                connection,
                request.user,
                start=form.cleaned_data["start"],
                comment=form.cleaned_data["comment"],
            ),
            _("稳定上传试运行已重新开始"),
        )


@admin.register(TrialRun)
class TrialRunAdmin(EnterpriseRecordAdmin):
    list_display = (
        "connection",
        "number",
        "status",
        "started_on",
        "ends_on",
        "complete_days",
        "success_rate",
        "evaluated_at",
    )
    list_filter = ("status",)
    enterprise_path = "connection__enterprise"


@admin.register(EndDevice)
class EndDeviceAdmin(EnterpriseRecordAdmin):
    list_display = ("serial", "enterprise", "manufacturer", "model", "is_active", "last_seen_at")
    list_filter = ("is_active",)
    search_fields = ("serial",)


@admin.register(DataItem)
class DataItemAdmin(EnterpriseRecordAdmin):
    list_display = (
        "data_code",
        "name",
        "enterprise",
        "stat_type",
        "interval_minutes",
        "collection_method",
        "is_active",
    )
    list_filter = ("stat_type", "collection_method", "is_active")
    search_fields = ("data_code", "name")


@admin.register(ItemChangeRequest)
class ItemChangeRequestAdmin(EnterpriseRecordAdmin):
    """Decided on the reviewer's page (services.item_changes); read here."""

    list_display = ("item", "enterprise", "kind", "status", "effective_on", "requested_at")
    list_filter = ("status", "kind")
    list_select_related = ("item",)
    search_fields = ("item__data_code",)


@admin.register(UploadBatch)
class UploadBatchAdmin(EnterpriseRecordAdmin):
    list_display = (
        "message_id",
        "enterprise",
        "device",
        "status",
        "received_at",
        "record_count",
        "accepted_count",
        "stored_count",
        "corrected_count",
        "body_size",
        "relay_suspected",
    )
    list_filter = ("status", "relay_suspected")
    search_fields = ("message_id", "cert_serial")
    list_select_related = ("device",)
    readonly_fields = ("body_size",)
    date_hierarchy = "received_at"

    def get_queryset(self, request):
        # The body (~18 KB) and the staged readings are never read here: only their size.
        return (
            super()
            .get_queryset(request)
            .defer("raw_body", "staged_readings")
            .annotate(stored_body_size=Length("raw_body"))
        )

    @admin.display(description=_("大小（字节）"), ordering="stored_body_size")
    def body_size(self, batch):
        return batch.stored_body_size


@admin.register(ReadingRevision)
class ReadingRevisionAdmin(EnterpriseRecordAdmin):
    list_display = ("item", "slot", "old_value", "old_valid", "value", "valid", "replaced_at")
    list_filter = ("old_valid", "valid")
    search_fields = ("item__data_code",)
    list_select_related = ("item",)
    date_hierarchy = "replaced_at"


@admin.register(Alarm)
class AlarmAdmin(EnterpriseRecordAdmin):
    list_display = ("kind", "enterprise", "subject", "opened_at", "notified_at", "cleared_at")
    list_filter = ("kind",)
    search_fields = ("subject",)
    date_hierarchy = "opened_at"


@admin.register(MonthlyFiling)
class MonthlyFilingAdmin(EnterpriseRecordAdmin):
    list_display = ("enterprise", "month", "revision", "filed_by", "filed_at")
    list_select_related = ("filed_by",)


@admin.register(OutageNotice)
class OutageNoticeAdmin(EnterpriseRecordAdmin):
    list_display = ("device", "enterprise", "starts_at", "expected_end", "resolved_at")
    search_fields = ("device__serial",)
    list_select_related = ("device",)


@admin.register(UploadRefusal)
class UploadRefusalAdmin(EnterpriseRecordAdmin):
    list_display = ("enterprise", "reason", "cert_serial", "device_serial", "hour", "count")
    list_filter = ("reason",)
    search_fields = ("cert_serial", "device_serial")
    date_hierarchy = "hour"


@admin.register(EnergyDictionary)
class EnergyDictionaryAdmin(ServiceMadeAdmin):
    list_display = ("version", "source", "is_current", "loaded_at")


@admin.register(EnergyType)
class EnergyTypeAdmin(ServiceMadeAdmin):
    list_display = ("code", "name", "name_en", "unit", "kgce_per_unit", "dictionary")
    list_filter = ("dictionary",)
    search_fields = ("code", "name", "name_en")
    list_select_related = ("dictionary",)


@admin.register(HistoricalEnergyImport)
class HistoricalEnergyImportAdmin(EnterpriseRecordAdmin):
    list_display = (
        "original_name",
        "enterprise",
        "status",
        "row_count",
        "first_month",
        "last_month",
        "total_tce",
        "uploaded_at",
    )
    list_filter = ("status",)
    search_fields = ("original_name",)
    list_select_related = ("uploaded_by",)
