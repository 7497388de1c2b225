"""The font check, the admin, and who hears of a revocation."""

from django.urls import reverse

from portal.models import Notification
from reports import checks, rendering
from reports.services import documents as engine

from .chain import issue


def test_the_system_check_warns_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(checks, "cjk_font_available", lambda: False)
    warnings = checks.cjk_font_check(None)
    assert [w.id for w in warnings] == ["reports.W001"]
    assert "fonts-noto-cjk" in warnings[0].hint
    monkeypatch.setattr(checks, "cjk_font_available", lambda: True)
    assert checks.cjk_font_check(None) == []


def test_the_font_is_found_at_debians_path_without_fc_list(monkeypatch, tmp_path):
    monkeypatch.setattr(rendering.shutil, "which", lambda name: None)
    font = tmp_path / "NotoSansCJK-Regular.ttc"
    monkeypatch.setattr(rendering, "DEBIAN_CJK_FONTS", (font,))
    assert not rendering.cjk_font_available()
    font.write_bytes(b"font")
    assert rendering.cjk_font_available()


def test_revocation_tells_the_enterprise(passed, drafter, checker, approver, member):
    document = issue(passed, drafter, checker, approver)
    engine.revoke_document(document, checker, "报告数据有误")
    note = Notification.objects.filter(recipient=member).order_by("-pk").first()
    assert "已撤销" in note.title and note.body == "报告数据有误"


def test_the_admin_shows_documents_read_only(
    passed, drafter, checker, approver, operator, client_for
):
    document = issue(passed, drafter, checker, approver)
    browser = client_for(operator)
    url = reverse("admin:reports_issueddocument_change", args=[document.pk])
    page = browser.get(url)
    assert page.status_code == 200 and document.number in page.content.decode()
    response = browser.post(url, {"number": "HBJL-FH-2026-9999"})
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.number != "HBJL-FH-2026-9999"


def test_the_sweep_renders_what_was_never_rendered(
    passed, drafter, checker, approver, ca, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from reports.models import IssuedDocument
    from reports.tasks import render_unrendered

    document = issue(passed, drafter, checker, approver)  # its message never sent (no commit)
    assert render_unrendered() == 0  # too fresh: its own message may still come
    IssuedDocument.objects.filter(pk=document.pk).update(
        approved_at=timezone.now() - timedelta(minutes=11)
    )
    assert render_unrendered() == 1
    document.refresh_from_db()
    assert document.render_status == "done" and document.sha256


def test_document_notifications_follow_the_reader_not_the_actor(
    passed, drafter, checker, approver, member, client_for
):
    """Issue and revocation notices are Sentences: an approver working in Chinese tells an
    enterprise whose user reads in English, and the user reads them in English."""
    from django.utils import translation

    with translation.override("zh-hans"):
        document = issue(passed, drafter, checker, approver)
        engine.revoke_document(document, checker, "报告数据有误")
    issued, revoked = Notification.objects.filter(recipient=member).order_by("pk")[:2]
    assert issued.title == "省计量院已出具符合性测试报告"  # stored (and e-mailed) in Chinese
    assert revoked.title == "符合性测试报告已撤销"
    with translation.override("en"):
        assert issued.shown_title == "The institute has issued the Conformance test report"
        assert revoked.shown_title == "Conformance test report revoked"

    browser = client_for(member)
    browser.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = browser.get(reverse("inbox")).content.decode()
    assert "The institute has issued the Conformance test report" in page
    assert "Conformance test report revoked" in page
    assert "省计量院已出具" not in page


def test_a_sent_back_document_tells_its_drafter_in_the_drafters_language(passed, drafter, checker):
    from django.utils import translation

    from .chain import draft

    document = engine.compile_document(draft(passed, drafter), drafter)
    with translation.override("zh-hans"):
        engine.send_back(document, checker, "请补充数据")
    note = Notification.objects.get(recipient=drafter, title="文书退回修改")
    with translation.override("en"):
        assert note.shown_title == "Document sent back for correction"
