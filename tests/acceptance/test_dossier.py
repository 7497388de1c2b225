"""档案: the ZIP holds every record and file of the enterprise the requester may see, in
stage order, with an index (PDF and CSV) whose SHA-256 match the files; built by a task
whose progress the page polls; nobody else opens it."""

import csv
import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from acceptance import dossier as dossier_module
from acceptance.choices import Material, PanelRole, SignatureRole, Verdict
from acceptance.dossier import INDEX_CSV, INDEX_PDF, STAGES, build
from acceptance.dossier_records import record_tables
from acceptance.models import (
    AnnualAudit,
    ComparisonReading,
    Dossier,
    DossierStatus,
    MaterialVerdict,
    OnSiteAcceptance,
    PanelSeat,
    ReportSignature,
    SpotComparison,
)
from acceptance.services.dossiers import request_dossier
from acceptance.services.rectification import acknowledge_notice, submit_report
from portal.models import Region
from portal.workflow import TransitionRefused
from reports.models import IssuedDocument
from telemetry.models import DataItem

from ..applications.factories import DesignSchemeFactory
from ..portal.factories import (
    EnterpriseFactory,
    GovernmentViewerFactory,
    ReviewerFactory,
    member_of,
)
from .supervision import PDF_BYTES, evidence, failed_audit_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    """An enterprise with a finalised scheme (its document), a failed audit whose notice
    PDF is stored, and a rectification report with evidence."""
    notice, member, reviewer = failed_audit_notice(region=Region.WUHAN)
    enterprise = notice.enterprise
    DesignSchemeFactory(enterprise=enterprise, finalised=True)
    document = IssuedDocument.objects.get(pk=notice.document_id)
    document.pdf.save("notice.pdf", ContentFile(PDF_BYTES + b"notice"), save=False)
    IssuedDocument.objects.filter(pk=document.pk).update(pdf=document.pdf.name)
    acknowledge_notice(notice, member)
    submit_report(notice, member, "更换模块", [evidence("整改证明.pdf")])
    return enterprise, member, reviewer


def opened(dossier) -> zipfile.ZipFile:
    dossier.refresh_from_db()
    with dossier.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def index_rows(archive) -> list[dict]:
    text = archive.read(INDEX_CSV).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_index_lists_every_file_in_stage_order_and_the_hashes_match(held):
    enterprise, member, _reviewer = held
    dossier = Dossier.objects.create(enterprise=enterprise, requested_by=member)
    assert build(dossier.pk) == "done"
    archive = opened(dossier)
    rows = index_rows(archive)
    names = set(archive.namelist())
    assert names == {r["文件"] for r in rows} | {INDEX_CSV, INDEX_PDF}
    for row in rows:
        assert hashlib.sha256(archive.read(row["文件"])).hexdigest() == row["SHA-256"]
    stages = [r["阶段"] for r in rows]
    assert stages == sorted(stages)  # stage order (folders are numbered)
    paths = "\n".join(names)
    assert f"{STAGES[0]}/设计方案.csv" in paths and "scheme.pdf" in paths
    assert f"{STAGES[8]}/整改通知.csv" in paths and "整改证明.pdf" in paths
    assert archive.read(INDEX_PDF).startswith(b"%PDF")
    notice_pdf = [n for n in names if n.startswith(STAGES[8]) and n.endswith(".pdf")]
    assert any(archive.read(n).endswith(b"notice") for n in notice_pdf)
    records = archive.read(f"{STAGES[8]}/整改通知.csv").decode("utf-8-sig")
    assert "更换模块" in records and "年度审核" in records
    assert dossier.status == DossierStatus.DONE and dossier.progress == 100
    assert dossier.entries == len(rows)
    with dossier.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == dossier.sha256


def test_a_government_viewers_dossier_holds_what_the_viewer_may_see(held):
    enterprise, _member, _reviewer = held
    viewer = GovernmentViewerFactory(region=Region.WUHAN)
    dossier = request_dossier(viewer, enterprise)
    build(dossier.pk)
    names = "\n".join(opened(dossier).namelist())
    assert "整改通知.csv" in names
    assert "scheme.pdf" not in names and "整改证明.pdf" not in names
    with pytest.raises(TransitionRefused):
        request_dossier(GovernmentViewerFactory(region=Region.YICHANG), enterprise)


def test_the_page_builds_polls_and_downloads(held, client, django_capture_on_commit_callbacks):
    enterprise, member, _reviewer = held
    client.force_login(member)
    assert "dossier-request" in client.get(reverse("acceptance:dossier_list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("acceptance:dossier_request"), {"enterprise": enterprise.pk})
    dossier = Dossier.objects.get()
    assert response.url == reverse("acceptance:dossier_detail", args=[dossier.pk])
    fragment = client.get(reverse("acceptance:dossier_progress", args=[dossier.pk]))
    assert 'id="dossier-download"' in fragment.content.decode()
    download = client.get(reverse("acceptance:dossier_download", args=[dossier.pk]))
    assert download["Content-Type"] == "application/zip"
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == Dossier.objects.get().sha256


def test_a_dossier_in_progress_polls_and_cannot_be_downloaded(held, client):
    enterprise, member, _reviewer = held
    dossier = Dossier.objects.create(enterprise=enterprise, requested_by=member, progress=40)
    client.force_login(member)
    page = client.get(reverse("acceptance:dossier_detail", args=[dossier.pk])).content.decode()
    assert 'hx-get="/acceptance/dossiers/' in page and 'data-progress="40"' in page
    assert client.get(reverse("acceptance:dossier_download", args=[dossier.pk])).status_code == 404


def test_a_failure_is_recorded_with_its_reason(held, monkeypatch):
    from acceptance.tasks import build_dossier

    enterprise, member, _reviewer = held

    def broken(*args, **kwargs):
        raise OSError("字体缺失")

    monkeypatch.setattr(dossier_module, "render_pdf", broken)
    dossier = Dossier.objects.create(enterprise=enterprise, requested_by=member)
    assert build_dossier(dossier.pk) == "failed"
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.FAILED and "字体缺失" in dossier.error
    assert not dossier.file


def test_outsiders_and_colleagues_of_other_enterprises_see_nothing(held, client):
    enterprise, member, _reviewer = held
    dossier = request_dossier(member, enterprise)
    outsider = member_of(EnterpriseFactory())
    client.force_login(outsider)
    for name in ("dossier_detail", "dossier_progress", "dossier_download"):
        assert client.get(reverse(f"acceptance:{name}", args=[dossier.pk])).status_code == 404
    response = client.post(reverse("acceptance:dossier_request"), {"enterprise": enterprise.pk})
    assert response.status_code == 404
    assert enterprise.name not in client.get(reverse("acceptance:dossier_list")).content.decode()
    # A viewer of the region does not get the member's dossier (it holds more than it sees).
    client.force_login(GovernmentViewerFactory(region=Region.WUHAN))
    assert client.get(reverse("acceptance:dossier_detail", args=[dossier.pk])).status_code == 404


def test_old_dossiers_are_removed_with_their_files(held, settings):
    from datetime import timedelta

    from django.utils import timezone

    from acceptance.tasks import purge_old_dossiers

    enterprise, member, _reviewer = held
    settings.DOSSIER_KEEP_DAYS = 7
    old = Dossier.objects.create(enterprise=enterprise, requested_by=member)
    build(old.pk)
    old.refresh_from_db()
    storage, name = old.file.storage, old.file.name
    Dossier.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(days=8))
    recent = Dossier.objects.create(enterprise=enterprise, requested_by=member)
    assert purge_old_dossiers() == 1
    assert list(Dossier.objects.all()) == [recent]
    assert not storage.exists(name)


def table(user, enterprise, name) -> list[dict]:
    entry = next(e for e in record_tables(user, enterprise) if e.name == name)
    return list(csv.DictReader(io.StringIO(entry.read().decode("utf-8-sig"))))


def test_the_onsite_records_hold_panel_minutes_readings_signatures_and_verdicts(
    held, django_assert_max_num_queries
):
    enterprise, member, reviewer = held
    onsite = OnSiteAcceptance.objects.get(application__enterprise=enterprise)
    OnSiteAcceptance.objects.filter(pk=onsite.pk).update(
        qa_minutes="问：补传机制？答：断点续传。",
        findings_layout="布点与方案一致",
        findings_devices="符合 GB 17167",
        findings_collection="采集连续",
    )
    expert = ReviewerFactory(first_name="专家甲")
    PanelSeat.objects.create(
        onsite=onsite, user=expert, role=PanelRole.EXPERT, body="某大学", is_leader=True
    )
    item = DataItem.objects.create(
        enterprise=enterprise, data_code="000012340233000001", name="1#变压器", unit="kWh"
    )
    ComparisonReading.objects.create(
        onsite=onsite,
        item=item,
        meter="1#电表",
        read_at=timezone.now(),
        site_value=Decimal("101"),
        slot=timezone.now(),
        platform_value=Decimal("100"),
        deviation_percent=Decimal("1"),
        tolerance_percent=Decimal("2"),
        within=True,
    )
    report = onsite.report
    ReportSignature.objects.create(
        report=report,
        role=SignatureRole.INSTITUTE,
        user=reviewer,
        signer_name="审核员乙",
        method="code",
        content_sha256="a" * 64,
    )
    MaterialVerdict.objects.create(
        application=onsite.application,
        material=Material.OM_PLAN,
        verdict=Verdict.NEEDS_CORRECTION,
        note="缺运维合同盖章页",
        submitted_at=timezone.now(),
        decided_by=reviewer,
    )
    with django_assert_max_num_queries(30):
        record_tables(reviewer, enterprise)
    [row] = table(reviewer, enterprise, "现场验收.csv")
    panel = row["验收小组（身份 姓名（单位）组长 / 声明无利益冲突时间）"]
    assert "专家甲" in panel and "某大学" in panel and "组长" in panel and "未声明" in panel
    assert row["提问交流纪要"] == "问：补传机制？答：断点续传。"
    assert row["现场考察：能耗在线监测布点"] == "布点与方案一致"
    [reading] = table(reviewer, enterprise, "现场比对读数.csv")
    assert reading["计量器具"] == "1#电表" and reading["平台数值"] == "100.0000"
    assert reading["结论"] == "在允许偏差内"
    [signature] = table(reviewer, enterprise, "验收报告签字记录.csv")
    assert signature["签字人"] == "审核员乙" and signature["确认方式"] == "一次性验证码"
    assert signature["所签内容 SHA-256"] == "a" * 64 and signature["签字时间"]
    [verdict] = table(member, enterprise, "验收材料审查结论.csv")
    assert verdict["审查结论"] == "需补正" and verdict["补正说明"] == "缺运维合同盖章页"
    assert verdict["材料"] == str(Material.OM_PLAN.label)
    viewer = GovernmentViewerFactory(region=Region.WUHAN)
    assert table(viewer, enterprise, "验收材料审查结论.csv") == []
    outsider = member_of(EnterpriseFactory())
    assert table(outsider, enterprise, "验收报告签字记录.csv") == []
    assert table(outsider, enterprise, "现场比对读数.csv") == []


def test_the_spot_check_readings_are_in_the_audit_stage(held):
    enterprise, member, _reviewer = held
    audit = AnnualAudit.objects.get(enterprise=enterprise)
    item = DataItem.objects.create(
        enterprise=enterprise, data_code="000012340233000002", name="2#变压器", unit="kWh"
    )
    SpotComparison.objects.create(
        audit=audit,
        item=item,
        meter="2#电表",
        read_at=timezone.now(),
        site_value=Decimal("110"),
        slot=timezone.now(),
        platform_value=Decimal("100"),
        deviation_percent=Decimal("10"),
        tolerance_percent=Decimal("2"),
        within=False,
    )
    [reading] = table(member, enterprise, "现场抽查比对读数.csv")
    assert reading["审核年度"] == str(audit.plan.year)
    assert reading["计量器具"] == "2#电表" and reading["结论"] == "超出允许偏差或平台无数据"
    assert table(member_of(EnterpriseFactory()), enterprise, "现场抽查比对读数.csv") == []
