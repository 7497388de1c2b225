"""Forms of the monitoring side: trial restart, monthly filing, outage notice, history import."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
