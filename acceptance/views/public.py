"""公众子系统: acceptance results and rectification announcements, as a page and as JSON
and Atom feeds. Only what may be public is shown (DESIGN §1); no login."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from portal.access import grant_access, public

from ..choices import PublicationKind
from ..models import Publication

FEED_SIZE = 100


def _published(request):
    qs = Publication.objects.all()
    kind = request.GET.get("kind")
    if kind in PublicationKind.values:
        qs = qs.filter(kind=kind)
    region = request.GET.get("region")
    if region:
        qs = qs.filter(region=region)
    return qs.order_by("-published_at", "-pk")


def as_dict(row: Publication) -> dict:
    return {
        "kind": row.kind,
        "enterprise_name": row.enterprise_name,
        "region": row.get_region_display(),
        "project_name": row.project_name,
        "date": row.decided_on.isoformat(),
        "result": row.result,
        "document_number": row.document_number,
        "verify_url": row.verify_url,
        "rectification_deadline": row.deadline.isoformat() if row.deadline else None,
        "published_on": timezone.localdate(row.published_at).isoformat(),
        "closed_on": row.closed_on.isoformat() if row.closed_on else None,
    }


@grant_access(public)
def results(request):
    page = Paginator(_published(request), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "acceptance/public_results.html",
        {"page": page, "kinds": PublicationKind.choices, "kind": request.GET.get("kind", "")},
    )


@grant_access(public)
def results_json(request):
    rows = [as_dict(row) for row in _published(request)[:FEED_SIZE]]
    return JsonResponse({"results": rows}, json_dumps_params={"ensure_ascii": False})


@grant_access(public)
def results_atom(request):
    feed = Atom1Feed(
        title="湖北省重点用能单位能耗在线监测企业接入端系统验收结果与整改公告",
        link=settings.SITE_URL + "/results/",
        description="验收结果与整改公告",
        language="zh-hans",
    )
    for row in _published(request)[:FEED_SIZE]:
        title = f"{row.get_kind_display()}：{row.enterprise_name}（{row.result}）"
        feed.add_item(
            title=title,
            link=row.verify_url or settings.SITE_URL + "/results/",
            description=(
                f"{row.get_region_display()} · {row.project_name} · {row.decided_on} · "
                f"{row.document_number}"
                + (f" · 整改期限 {row.deadline}" if row.deadline else "")
                + (f" · 整改完成 {row.closed_on}" if row.closed_on else "")
            ),
            unique_id=f"publication-{row.pk}",
            pubdate=row.published_at,
            updateddate=row.published_at,
        )
    return HttpResponse(
        feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )
