"""Forms of the telemetry app.

The registry: end devices and data items (dataCode edited as its six segments). The
monitoring side: trial restart, monthly filing, outage notice, historical energy import.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .datacode import SEGMENTS, DataCode, DataCodeError
from .energy import current_energy_types
from .models import DataItem, EndDevice, StatTypeChoice

SEGMENT_NAMES = tuple(SEGMENTS)


def datacode_message(error: DataCodeError) -> str:
    """The error's message in the active language (datacode.py is pure and speaks Chinese)."""
    params = {
        key: gettext(value) if key == "label" else value for key, value in error.params.items()
    }
    return gettext(error.template) % params


class EndDeviceForm(forms.ModelForm):
    test_report_file = forms.FileField(
        label=_("端设备测试报告"),
        required=False,
        help_text=_("湖北省端设备测试报告（PDF 或图片）；已上传的报告不填则保留"),
    )

    class Meta:
        model = EndDevice
        fields = ["serial", "manufacturer", "model", "manufacture_date", "is_active"]
        widgets = {"manufacture_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.fields["serial"].help_text = _("与对接申请表及证书中的端设备编号一致")

    def clean_serial(self):
        serial = self.cleaned_data["serial"].strip()
        clash = EndDevice.objects.filter(enterprise=self.enterprise, serial=serial)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("本企业已登记编号为 %(s)s 的端设备。") % {"s": serial})
        return serial


class DataItemForm(forms.ModelForm):
    """A data item; the 18-digit dataCode is entered as its six segments (SPEC §6)."""

    process = forms.CharField(label=_("生产工序编码（2 位）"), max_length=2, initial="00")
    process_unit = forms.CharField(label=_("工序单元编码（2 位）"), max_length=2, initial="00")
    device_code = forms.CharField(label=_("重点耗能设备编号（4 位）"), max_length=4, initial="0000")
    energy_class = forms.CharField(label=_("采集数据分类编码（2 位）"), max_length=2, initial="02")
    object_code = forms.CharField(label=_("采集对象编码（4 位）"), max_length=4)
    usage = forms.CharField(label=_("数据用途编码（4 位）"), max_length=4, initial="0000")

    # Form field name of each dataCode segment (``device`` is the item's end device here).
    SEGMENT_FIELDS = {
        "process": "process",
        "process_unit": "process_unit",
        "device": "device_code",
        "energy_class": "energy_class",
        "object_code": "object_code",
        "usage": "usage",
    }

    class Meta:
        model = DataItem
        fields = [
            "name",
            "energy_type",
            "convert_ration",
            "unit",
            "stat_type",
            "interval_minutes",
            "scope",
            "input_type",
            "collection_method",
            "value_min",
            "value_max",
            "metering_level",
            "instrument",
            "device",
            "is_active",
        ]

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        self.fields["energy_type"].queryset = current_energy_types()
        self.fields["energy_type"].help_text = _(
            "取自当前版本的能源品种字典；选定后折标系数默认取字典值"
        )
        self.fields["convert_ration"].required = False
        self.fields["convert_ration"].help_text = _(
            "留空则取所选能源品种的折标系数，未选品种时为 1"
        )
        self.fields["device"].queryset = EndDevice.objects.filter(enterprise=enterprise)
        self.fields["interval_minutes"].help_text = _("仅实时数据（statType=0）使用")
        if self.instance.pk and self.instance.data_code:
            code = DataCode.parse(self.instance.data_code)
            for segment, name in self.SEGMENT_FIELDS.items():
                self.initial[name] = getattr(code, segment)
        # Segments first, in wire order, then the rest.
        order = [*self.SEGMENT_FIELDS.values(), *self.Meta.fields]
        self.order_fields(order)

    def clean(self):
        cleaned = super().clean()
        segments = {}
        for segment, name in self.SEGMENT_FIELDS.items():
            if name not in cleaned:
                return cleaned  # the field's own error is already shown
            segments[segment] = cleaned[name].strip()
        try:
            code = DataCode.build(**segments)
        except DataCodeError as error:
            self.add_error(self.SEGMENT_FIELDS.get(error.field, None), datacode_message(error))
            return cleaned
        cleaned["data_code"] = str(code)
        clash = DataItem.objects.filter(enterprise=self.enterprise, data_code=str(code))
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error(
                "object_code", _("本企业已登记数据采集项编码 %(c)s。") % {"c": str(code)}
            )

        energy_type = cleaned.get("energy_type")
        if energy_type is not None and code.energy_type_code is not None:
            if energy_type.wire_code != code.energy_type_code:
                self.add_error(
                    "object_code",
                    _("采集对象编码 %(o)s 与所选能源品种 %(e)s 的代码 %(w)s 不一致。")
                    % {
                        "o": code.object_code,
                        "e": energy_type.display_name,
                        "w": energy_type.wire_code,
                    },
                )
        if cleaned.get("convert_ration") in (None, ""):
            cleaned["convert_ration"] = (
                energy_type.kgce_per_unit if energy_type is not None else Decimal(1)
            )
        elif cleaned["convert_ration"] <= 0:
            self.add_error("convert_ration", _("折标系数应大于 0。"))

        low, high = cleaned.get("value_min"), cleaned.get("value_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "value_max",
                _("合理值上限 %(h)s 小于下限 %(l)s。") % {"h": high, "l": low},
            )
        if cleaned.get("stat_type") != StatTypeChoice.REALTIME:
            cleaned["interval_minutes"] = self.instance.interval_minutes or 15
        return cleaned

    def save(self, commit=True):
        item = super().save(commit=False)
        item.enterprise = self.enterprise
        item.data_code = self.cleaned_data["data_code"]
        item.convert_ration = self.cleaned_data["convert_ration"]
        item.interval_minutes = self.cleaned_data["interval_minutes"]
        if commit:
            item.save()
        return item


class ItemImportForm(forms.Form):
    file = forms.FileField(
        label=_("采集项清单文件"),
        help_text=_("XLSX 或 CSV，列与导出的清单相同；任何一行有误则整份不导入"),
    )


class StopTrialForm(forms.Form):
    comment = forms.CharField(
        label=_("停止的原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )


class RestartTrialForm(forms.Form):
    start = forms.DateField(
        label=_("新试运行开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空则从明天（北京时间）开始计算。"),
    )
    comment = forms.CharField(
        label=_("重新开始的原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )

    def clean_start(self) -> date:
        start = self.cleaned_data.get("start")
        today = timezone.localdate()
        if start is None:
            return today + timedelta(days=1)
        if start < today:
            raise forms.ValidationError(_("开始日期不能早于今天。"))
        return start


class MonthlyFilingForm(forms.Form):
    """One field per manually entered monthly item, plus the month."""

    month = forms.CharField(
        label=_("填报月份"), max_length=7, help_text=_("格式 yyyy-MM，只能填报已结束的月份。")
    )
    remarks = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.DecimalField(
                label=_("%(name)s（%(unit)s）") % {"name": item.name, "unit": item.unit},
                max_digits=20,
                decimal_places=4,
                min_value=item.value_min,
                max_value=item.value_max,
                help_text=item.data_code,
            )

    def clean_month(self) -> date:
        text = self.cleaned_data["month"].strip()
        try:
            month = date.fromisoformat(f"{text}-01")
        except ValueError:
            raise forms.ValidationError(_("月份格式应为 yyyy-MM，例如 2026-02。")) from None
        if month >= timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("只能填报已结束的月份。"))
        return month

    def clean(self):
        cleaned = super().clean()
        if not self.items:
            raise forms.ValidationError(_("本企业没有需要手工填报的月数据采集项。"))
        return cleaned

    def values(self) -> dict:
        return {item.pk: self.cleaned_data[f"item_{item.pk}"] for item in self.items}


class OutageNoticeForm(forms.Form):
    device = forms.ModelChoiceField(label=_("端设备"), queryset=None)
    starts_at = forms.DateTimeField(
        label=_("停运开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    expected_end = forms.DateTimeField(
        label=_("预计恢复时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(
        label=_("停运原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def __init__(self, *args, devices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = devices

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("expected_end")
        if start and end and end <= start:
            self.add_error("expected_end", _("预计恢复时间应晚于停运开始时间。"))
        return cleaned


class HistoryImportForm(forms.Form):
    file = forms.FileField(
        label=_("历史能耗数据月报表"),
        help_text=_(
            "XLSX 或 CSV，列为 月份（yyyy-MM）、能源代码、实物量、计量单位；"
            "任何一行有误则整份不导入；再次导入将替代上一次导入的数据"
        ),
    )
