"""Forms of the telemetry app.

The registry: end devices and data items (dataCode edited as its six segments). The
monitoring side: trial restart, monthly filing, outage notice, historical energy import.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from applications.models import Meter
from portal.spreadsheets import SpreadsheetRefused, check_size

from .datacode import ENERGY_TYPE_CLASSES, SEGMENTS, DataCode, DataCodeError
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
    object_code = forms.CharField(
        label=_("采集对象编码（4 位）"),
        max_length=4,
        required=False,
        help_text=_("能源类数据留空则取所选能源品种的代码"),
    )
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
            "meter",
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
        self.fields["unit"].required = False
        self.fields["unit"].help_text = _("留空则取所选能源品种的计量单位")
        if not self.instance.pk:
            # Blank, not the model's default 1: a left-over 1 would be saved as the
            # coefficient of an electricity item (0.1229) and make every tce figure wrong.
            self.initial.pop("convert_ration", None)
            self.fields["convert_ration"].initial = None
        # Read by static/js/item-form.js to fill coefficient, object code and unit.
        self.fields["energy_type"].widget.attrs["data-energy-defaults"] = "item-energy-defaults"
        self.fields["device"].queryset = EndDevice.objects.filter(enterprise=enterprise)
        self.fields["meter"].queryset = Meter.objects.filter(enterprise=enterprise)
        self.fields["interval_minutes"].help_text = _("仅实时数据（statType=0）使用")
        if self.instance.pk and self.instance.data_code:
            code = DataCode.parse(self.instance.data_code)
            for segment, name in self.SEGMENT_FIELDS.items():
                self.initial[name] = getattr(code, segment)
        # Segments first, in wire order, then the rest.
        order = [*self.SEGMENT_FIELDS.values(), *self.Meta.fields]
        self.order_fields(order)

    def energy_defaults(self) -> dict:
        """Per energy type of the choice list: the coefficient, wire code and unit it fills."""
        return {
            str(t.pk): {
                "coefficient": str(t.kgce_per_unit.normalize()),
                "code": t.wire_code,
                "unit": t.unit,
            }
            for t in self.fields["energy_type"].queryset
        }

    def _fill_from_energy_type(self, cleaned) -> None:
        """Blank 采集对象编码, 计量单位 and 折标系数 follow the chosen energy type."""
        energy_type = cleaned.get("energy_type")
        if not (cleaned.get("object_code") or "").strip():
            if energy_type is not None and cleaned.get("energy_class") in ENERGY_TYPE_CLASSES:
                cleaned["object_code"] = energy_type.wire_code
            elif "object_code" in cleaned:
                self.add_error(
                    "object_code", _("请填写采集对象编码，或选择能源品种（能源类数据）。")
                )
        if not (cleaned.get("unit") or "").strip():
            if energy_type is not None:
                cleaned["unit"] = energy_type.unit
            elif "unit" in cleaned:
                self.add_error("unit", _("请填写计量单位，或选择能源品种。"))
        if cleaned.get("convert_ration") in (None, ""):
            cleaned["convert_ration"] = (
                energy_type.kgce_per_unit if energy_type is not None else Decimal(1)
            )
        elif cleaned["convert_ration"] <= 0:
            self.add_error("convert_ration", _("折标系数应大于 0。"))

    def clean(self):
        cleaned = super().clean()
        self._fill_from_energy_type(cleaned)
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
        item.unit = self.cleaned_data["unit"]
        item.interval_minutes = self.cleaned_data["interval_minutes"]
        if commit:
            item.save()
        return item


class ItemChangeTermsForm(forms.Form):
    """What a change during a stable-upload trial needs: the day it counts from and why."""

    effective_on = forms.DateField(
        label=_("申请生效日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "试运行期间，新增、停用或修改统计类型、间隔、合理值范围需经审核员批准，"
            "自所填日期起生效；留空为今天（北京时间）。"
        ),
    )
    reason = forms.CharField(
        label=_("变更原因"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("试运行期间的上述变更必填。"),
    )


def check_import_size(upload):
    """An import file over SPREADSHEET_MAX_BYTES is refused before it is read."""
    try:
        check_size(upload.size)
    except SpreadsheetRefused as refused:
        raise forms.ValidationError(refused.reason) from None
    return upload


class ItemImportForm(ItemChangeTermsForm):
    file = forms.FileField(
        label=_("采集项清单文件"),
        help_text=_("XLSX 或 CSV，列与导出的清单相同；任何一行有误则整份不导入"),
    )
    field_order = ["file", "effective_on", "reason"]

    def clean_file(self):
        return check_import_size(self.cleaned_data["file"])


class ChangeDecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("驳回时必填。"),
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

    def clean_file(self):
        return check_import_size(self.cleaned_data["file"])


class AnalysisForm(forms.Form):
    """The item, the aggregation and the period of the 能耗数据分析 page (GET)."""

    item = forms.ModelChoiceField(label=_("数据采集项"), queryset=None, empty_label=None)
    step = forms.ChoiceField(
        label=_("汇总方式"),
        choices=[("slot", _("15 分钟")), ("day", _("按日")), ("month", _("按月"))],
        initial="day",
    )
    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, items, default_item=None, **kwargs):
        data = data.copy() if data else {}
        super().__init__(data, **kwargs)
        self.fields["item"].queryset = items
        if not data.get("item") and default_item is not None:
            self.data["item"] = default_item
        if not data.get("step"):
            self.data["step"] = "day"

    @staticmethod
    def longest(step: str) -> int:
        """The longest period, in days, the aggregation ``step`` may show (settings)."""
        return {
            "slot": settings.TELEMETRY_ANALYSIS_MAX_DAYS_SLOT,
            "day": settings.TELEMETRY_ANALYSIS_MAX_DAYS_DAY,
            "month": settings.TELEMETRY_ANALYSIS_MAX_DAYS_MONTH,
        }[step]

    def clean(self):
        cleaned = super().clean()
        step = cleaned.get("step")
        if step is None:
            return cleaned
        longest = self.longest(step)
        end = cleaned.get("end") or timezone.localdate()
        default_span = {"slot": 1, "day": 15, "month": 365}[step]
        start = cleaned.get("start") or end - timedelta(days=min(default_span, longest) - 1)
        if start > end:
            self.add_error("end", _("结束日期不能早于开始日期。"))
        elif (end - start).days + 1 > longest:
            self.add_error(
                "start",
                _("所选汇总方式一次最多查询 %(n)d 天，请缩短时间段或改用更粗的汇总。")
                % {"n": longest},
            )
        cleaned["start"], cleaned["end"] = start, end
        # The inputs show the period used, defaults included.
        self.data["start"], self.data["end"] = start.isoformat(), end.isoformat()
        return cleaned


class RelayDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("说明或认定理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("说明为何不是中转（如企业的第二条专线），或认定中转的依据。"),
    )
