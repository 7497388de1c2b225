"""计量器具台账 pages: the ledger of an enterprise with its GB 17167 check, and its rows."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.exports import table_response
from portal.permissions import enterprises_visible_to, own_enterprise
from portal.views.outcomes import form_errors_from

from ..forms import MeterForm
from ..models import Meter, MeterLevel
from ..permissions import can_manage_meters, ledger_enterprise_or_404, meters_visible_to
from ..services.meters import create_meter, delete_meter, ledger_check, update_meter


@grant_access(enterprise_user, reviewer, government)
def ledger_index(request):
    """An enterprise user goes to their own ledger; staff and viewers pick an enterprise."""
    enterprise = own_enterprise(request.user)
    if enterprise is not None:
        return redirect("applications:meter_list", enterprise_pk=enterprise.pk)
    today = timezone.localdate()
    query = request.GET.get("q", "").strip()
    enterprises = enterprises_visible_to(request.user).annotate(
        n_meters=Count("meters", distinct=True),
        n_expired=Count("meters", filter=Q(meters__valid_until__lt=today), distinct=True),
    )
    if query:
        enterprises = enterprises.filter(name__icontains=query)
    return render(
        request,
        "applications/meter_index.html",
        {"enterprises": enterprises.order_by("name")[:200], "q": query},
    )


@grant_access(enterprise_user, reviewer, government)
def meter_list(request, enterprise_pk):
    enterprise = ledger_enterprise_or_404(request.user, enterprise_pk)
    meters = list(Meter.objects.filter(enterprise=enterprise))
    today = timezone.localdate()
    for meter in meters:
        meter.state = meter.validity(today)
    level = request.GET.get("level", "")
    shown = [m for m in meters if not level or str(m.metering_level) == level]
    return render(
        request,
        "applications/meter_list.html",
        {
            "enterprise": enterprise,
            "meters": shown,
            "levels": MeterLevel.choices,
            "level": level,
            "shortfalls": ledger_check(enterprise, meters),
            "n_expired": sum(1 for m in meters if m.state == "expired"),
            "n_expiring": sum(1 for m in meters if m.state == "expiring"),
            "can_manage": can_manage_meters(request.user, enterprise),
        },
    )


EXPORT_HEADER = [
    "管理编号",
    "计量器具名称",
    "型号规格",
    "准确度等级",
    "能源种类",
    "计量级别",
    "安装位置",
    "通信接口",
    "检定/校准证书编号",
    "有效期至",
]


@grant_access(enterprise_user, reviewer, government)
def meter_export(request, enterprise_pk, fmt):
    """The ledger as CSV or XLSX (企业汇报 (7) 计量器具台账; the annual audit)."""
    enterprise = ledger_enterprise_or_404(request.user, enterprise_pk)
    rows = (
        [
            m.management_number,
            m.name,
            m.model,
            m.accuracy_class,
            m.get_energy_type_display(),
            m.get_metering_level_display(),
            m.location,
            m.interface,
            m.certificate_number,
            m.valid_until.isoformat(),
        ]
        for m in Meter.objects.filter(enterprise=enterprise)
    )
    return table_response(f"meter-ledger-{enterprise.pk}", EXPORT_HEADER, rows, fmt)


def _meter_form_page(request, enterprise, meter=None):
    form = MeterForm(request.POST or None, instance=meter)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if meter is None:
                meter = create_meter(request.user, enterprise, data)
                messages.success(request, _("计量器具 %(m)s 已登记。") % {"m": meter})
            else:
                meter = update_meter(Meter.objects.get(pk=meter.pk), request.user, data)
                messages.success(request, _("计量器具 %(m)s 已保存。") % {"m": meter})
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return redirect("applications:meter_list", enterprise_pk=enterprise.pk)
    return render(
        request,
        "applications/meter_form.html",
        {"form": form, "enterprise": enterprise, "meter": meter},
    )


def _manageable_enterprise(request, enterprise_pk):
    enterprise = ledger_enterprise_or_404(request.user, enterprise_pk)
    if not can_manage_meters(request.user, enterprise):
        raise PermissionDenied
    return enterprise


@grant_access(enterprise_user, reviewer)
def meter_create(request, enterprise_pk):
    enterprise = _manageable_enterprise(request, enterprise_pk)
    return _meter_form_page(request, enterprise)


def _meter_or_404(request, pk):
    meter = get_object_or_404(meters_visible_to(request.user), pk=pk)
    _manageable_enterprise(request, meter.enterprise_id)
    return meter


@grant_access(enterprise_user, reviewer)
def meter_edit(request, pk):
    meter = _meter_or_404(request, pk)
    return _meter_form_page(request, meter.enterprise, meter)


@grant_access(enterprise_user, reviewer)
def meter_delete(request, pk):
    """Delete after confirming on a page of its own."""
    meter = _meter_or_404(request, pk)
    if request.method == "POST":
        enterprise = meter.enterprise
        delete_meter(meter, request.user)
        messages.success(request, _("计量器具 %(m)s 已删除。") % {"m": meter})
        return redirect("applications:meter_list", enterprise_pk=enterprise.pk)
    return render(request, "applications/meter_delete.html", {"meter": meter})
