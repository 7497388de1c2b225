"""Registry pages: an enterprise's end devices and data items (thin views).

Enterprise members edit their own registry; reviewers and the region's government viewers
read it. Every object is fetched through the portal's scopers, so an outsider gets 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from portal.access import enterprise_user, government, grant_access, reviewer
from portal.permissions import (
    enterprises_visible_to,
    get_enterprise_or_404,
    own_enterprise,
)
from portal.roles import is_staff_reviewer
from portal.views.outcomes import form_errors_from

from ..forms import DataItemForm, EndDeviceForm, ItemChangeTermsForm, ItemImportForm
from ..item_compare import compare_registry
from ..models import OPEN_STATUSES_VALUES, DataItem, EndDevice, ItemChangeRequest
from ..permissions import (
    can_edit_registry,
    can_import_files,
    data_items_visible_to,
    devices_visible_to,
)
from ..services.importexport import ImportRefused, export_csv, export_xlsx, import_items
from ..services.item_changes import save_item_change, trial_running
from ..services.registry import certificates_by_serial, save_device

READERS = (enterprise_user, reviewer, government)


def _editable_or_403(user, enterprise):
    if not can_edit_registry(user, enterprise):
        raise PermissionDenied(_("只有本企业的用户可以修改端设备和数据采集项。"))


@grant_access(*READERS)
def registry_home(request):
    """Members go to their enterprise's registry; reviewers and viewers pick an enterprise."""
    enterprise = own_enterprise(request.user)
    if enterprise is not None:
        return redirect("telemetry:enterprise_registry", enterprise_pk=enterprise.pk)
    enterprises = (
        enterprises_visible_to(request.user)
        .annotate(
            device_count=Count("end_devices", distinct=True),
            item_count=Count("data_items", filter=Q(data_items__is_active=True), distinct=True),
        )
        .order_by("region", "name")
    )
    page, query = enterprise_page(request, enterprises)
    return render(request, "telemetry/registry/home.html", {"page": page, "q": query})


def enterprise_page(request, enterprises, per_page: int = 25):
    """The requested page of ``enterprises`` filtered by ?q= (name or USCC), and the query."""
    query = request.GET.get("q", "").strip()
    if query:
        enterprises = enterprises.filter(Q(name__icontains=query) | Q(uscc__icontains=query))
    return Paginator(enterprises, per_page).get_page(request.GET.get("page")), query


@grant_access(*READERS)
def enterprise_registry(request, enterprise_pk):
    enterprise = get_enterprise_or_404(request.user, enterprise_pk)
    devices = list(EndDevice.objects.filter(enterprise=enterprise).order_by("serial"))
    certificates = certificates_by_serial(enterprise)
    for device in devices:
        device.latest_certificate = (certificates.get(device.serial) or [None])[0]
    open_request = ItemChangeRequest.objects.filter(
        item=OuterRef("pk"), status__in=OPEN_STATUSES_VALUES
    )
    items = (
        DataItem.objects.filter(enterprise=enterprise)
        .select_related("energy_type", "device", "meter")
        .annotate(change_open=Exists(open_request))
        .order_by("data_code")
    )
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    open_changes = ItemChangeRequest.objects.filter(
        enterprise=enterprise, status__in=OPEN_STATUSES_VALUES
    ).count()
    return render(
        request,
        "telemetry/registry/enterprise.html",
        {
            "enterprise": enterprise,
            "devices": devices,
            "page": page,
            "can_edit": can_edit_registry(request.user, enterprise),
            "can_import": can_import_files(request.user, enterprise),
            "in_trial": trial_running(enterprise),
            "open_changes": open_changes,
            "comparison": compare_registry(enterprise) if is_staff_reviewer(request.user) else None,
        },
    )


@grant_access(enterprise_user)
def device_create(request, enterprise_pk):
    enterprise = get_enterprise_or_404(request.user, enterprise_pk)
    _editable_or_403(request.user, enterprise)
    form = EndDeviceForm(request.POST or None, request.FILES or None, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        device = save_device(
            request.user, enterprise, form, form.cleaned_data.get("test_report_file")
        )
        messages.success(request, _("已登记端设备 %(s)s。") % {"s": device.serial})
        return redirect("telemetry:device_detail", pk=device.pk)
    return render(
        request,
        "telemetry/registry/form.html",
        {"form": form, "enterprise": enterprise, "title": _("登记端设备"), "multipart": True},
    )


@grant_access(*READERS)
def device_detail(request, pk):
    device = get_object_or_404(
        devices_visible_to(request.user).select_related("test_report"), pk=pk
    )
    certificates = certificates_by_serial(device.enterprise).get(device.serial, [])
    return render(
        request,
        "telemetry/registry/device.html",
        {
            "device": device,
            "enterprise": device.enterprise,
            "certificates": certificates,
            "items": device.data_items.order_by("data_code")[:200],
            "can_edit": can_edit_registry(request.user, device.enterprise),
        },
    )


@grant_access(enterprise_user)
def device_edit(request, pk):
    device = get_object_or_404(devices_visible_to(request.user), pk=pk)
    _editable_or_403(request.user, device.enterprise)
    form = EndDeviceForm(
        request.POST or None, request.FILES or None, instance=device, enterprise=device.enterprise
    )
    if request.method == "POST" and form.is_valid():
        save_device(
            request.user, device.enterprise, form, form.cleaned_data.get("test_report_file")
        )
        messages.success(request, _("端设备信息已保存。"))
        return redirect("telemetry:device_detail", pk=device.pk)
    return render(
        request,
        "telemetry/registry/form.html",
        {
            "form": form,
            "enterprise": device.enterprise,
            "title": _("修改端设备 %(s)s") % {"s": device.serial},
            "multipart": True,
        },
    )


def _item_form_page(request, enterprise, form, title):
    """Bind, save through save_item_change, and say whether the change waits for review."""
    in_trial = trial_running(enterprise)
    terms = ItemChangeTermsForm(request.POST or None, prefix="change") if in_trial else None
    if request.method == "POST" and form.is_valid() and (terms is None or terms.is_valid()):
        try:
            saved = save_item_change(
                request.user, enterprise, form, **(terms.cleaned_data if terms else {})
            )
        except ValidationError as error:
            form_errors_from(terms if terms is not None else form, error)
        else:
            if saved.request is not None:
                messages.warning(
                    request,
                    _(
                        "试运行期间，%(k)s需经审核员批准：已提交申请，批准后自 %(d)s 起生效；"
                        "其他修改已保存。"
                    )
                    % {"k": saved.request.get_kind_display(), "d": saved.request.effective_on},
                )
                return redirect("telemetry:item_change_detail", pk=saved.request.pk)
            messages.success(request, _("数据采集项 %(c)s 已保存。") % {"c": saved.item.data_code})
            return redirect("telemetry:item_detail", pk=saved.item.pk)
    return render(
        request,
        "telemetry/registry/item_form.html",
        {"form": form, "terms": terms, "enterprise": enterprise, "title": title},
    )


@grant_access(enterprise_user)
def item_create(request, enterprise_pk):
    enterprise = get_enterprise_or_404(request.user, enterprise_pk)
    _editable_or_403(request.user, enterprise)
    form = DataItemForm(request.POST or None, enterprise=enterprise)
    return _item_form_page(request, enterprise, form, _("登记数据采集项"))


@grant_access(*READERS)
def item_detail(request, pk):
    item = get_object_or_404(
        data_items_visible_to(request.user).select_related(
            "energy_type__dictionary", "device", "meter"
        ),
        pk=pk,
    )
    return render(
        request,
        "telemetry/registry/item.html",
        {
            "item": item,
            "enterprise": item.enterprise,
            "code": item.code,
            "can_edit": can_edit_registry(request.user, item.enterprise),
            "revisions": item.revisions.select_related("made_by", "approved_by").order_by(
                "-valid_from"
            ),
            "changes": item.change_requests.order_by("-requested_at")[:20],
        },
    )


@grant_access(enterprise_user)
def item_edit(request, pk):
    item = get_object_or_404(data_items_visible_to(request.user), pk=pk)
    _editable_or_403(request.user, item.enterprise)
    form = DataItemForm(request.POST or None, instance=item, enterprise=item.enterprise)
    title = _("修改数据采集项 %(c)s") % {"c": item.data_code}
    return _item_form_page(request, item.enterprise, form, title)


@grant_access(*READERS)
def item_export(request, enterprise_pk, fmt):
    enterprise = get_enterprise_or_404(request.user, enterprise_pk)
    if fmt == "xlsx":
        content = export_xlsx(enterprise)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content, kind = export_csv(enterprise), "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="data-items-{enterprise.uscc}.{fmt}"'
    return response


@grant_access(enterprise_user)
def item_import(request, enterprise_pk):
    enterprise = get_enterprise_or_404(request.user, enterprise_pk)
    _editable_or_403(request.user, enterprise)
    if not can_import_files(request.user, enterprise):
        raise PermissionDenied(_("企业注册通过审核后才能导入文件。"))
    form = ItemImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_items(
                request.user,
                enterprise,
                upload.name,
                upload.read(),
                effective_on=form.cleaned_data["effective_on"],
                reason=form.cleaned_data["reason"],
            )
        except ImportRefused as refused:
            errors = refused.errors
        else:
            messages.success(
                request,
                _("导入完成：新增 %(c)d 项，更新 %(u)d 项。")
                % {"c": result["created"], "u": result["updated"]},
            )
            if result["pending"]:
                messages.warning(
                    request,
                    _("试运行期间，其中 %(n)d 项的新增或变更需经审核员批准，已提交申请。")
                    % {"n": result["pending"]},
                )
            return redirect("telemetry:enterprise_registry", enterprise_pk=enterprise.pk)
    return render(
        request,
        "telemetry/registry/import.html",
        {"form": form, "enterprise": enterprise, "errors": errors},
        status=400 if errors else 200,
    )
