"""The design scheme's lists (energy types, level-1 instruments, budget), checked row by row.

Pages (formsets) and the API (JSON lists) both go through `clean_content`, so a row is
refused with the same message whichever way it came in.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.catalogue import CollectionMethod, EnergyCode, energy_label


class EnergyRowForm(forms.Form):
    energy_type = forms.ChoiceField(label=gettext_lazy("能源种类"), choices=EnergyCode.choices)
    collection_method = forms.ChoiceField(
        label=gettext_lazy("采集方式"), choices=CollectionMethod.choices
    )


class InstrumentRowForm(forms.Form):
    energy_type = forms.ChoiceField(label=gettext_lazy("能源种类"), choices=EnergyCode.choices)
    instrument = forms.CharField(label=gettext_lazy("计量器具名称"), max_length=100)
    model = forms.CharField(label=gettext_lazy("型号规格"), max_length=100)
    accuracy_class = forms.CharField(label=gettext_lazy("准确度等级"), max_length=20)
    location = forms.CharField(label=gettext_lazy("安装位置"), max_length=200)


class BudgetRowForm(forms.Form):
    item = forms.CharField(label=gettext_lazy("费用项目"), max_length=200)
    amount = forms.DecimalField(
        label=gettext_lazy("金额（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False)


ROW_FORMS = {
    "energy_types": EnergyRowForm,
    "instruments": InstrumentRowForm,
    "budget_items": BudgetRowForm,
}


def _clean_rows(name: str, rows, errors: dict) -> list[tuple[int, dict]]:
    """(position, cleaned row) of every valid row; errors of the others go to `errors`."""
    form_class = ROW_FORMS[name]
    if not isinstance(rows, list):
        errors[name] = [_("应为列表。")]
        return []
    cleaned = []
    for index, row in enumerate(rows):
        form = form_class(data=row if isinstance(row, dict) else {})
        if not form.is_valid():
            for field, messages in form.errors.items():
                errors[f"{name}[{index}].{field}"] = list(messages)
            continue
        data = dict(form.cleaned_data)
        if "amount" in data:
            data["amount"] = str(Decimal(data["amount"]).quantize(Decimal("0.01")))
        cleaned.append((index, data))
    return cleaned


def clean_content(data: dict) -> dict:
    """Check the three lists; raise ValidationError naming each bad row and field."""
    errors: dict[str, list] = {}
    rows = {name: _clean_rows(name, data.get(name, []), errors) for name in ROW_FORMS}
    codes = [row["energy_type"] for _index, row in rows["energy_types"]]
    for code in {c for c in codes if codes.count(c) > 1}:
        errors.setdefault("energy_types", []).append(
            _("能源种类“%(name)s”重复填写。") % {"name": energy_label(code)}
        )
    for index, row in rows["instruments"]:
        if row["energy_type"] not in codes:
            errors[f"instruments[{index}].energy_type"] = [
                _("计量器具的能源种类“%(name)s”不在方案的能源种类中。")
                % {"name": energy_label(row["energy_type"])}
            ]
    if errors:
        raise ValidationError(errors)
    return {name: [row for _index, row in cleaned] for name, cleaned in rows.items()}
