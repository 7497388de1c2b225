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
