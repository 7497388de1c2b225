"""A file of a record is seen with its record: the enterprise's scope is not enough."""

import pytest

from portal.attachments import save_attachment
from portal.models import Attachment, AuditEvent
from tests.applications.factories import (
    AccessApplicationFactory,
    DesignSchemeFactory,
    add_all_materials,
    pdf,
    set_state,
)


def _download(client, attachment):
    return client.get(f"/files/{attachment.pk}/")


@pytest.fixture
def draft_document(enterprise, reviewer):
    scheme = DesignSchemeFactory(enterprise=enterprise)
    return scheme, save_attachment(
        pdf("方案草稿.pdf"), actor=reviewer, enterprise=enterprise, owner=scheme, kind="draft"
    )


def test_a_draft_schemes_document_is_the_institutes_until_the_scheme_is_sent(
    draft_document, member, reviewer, client_for
):
    scheme, document = draft_document
    assert _download(client_for(member), document).status_code == 404
    assert _download(client_for(reviewer), document).status_code == 200
    set_state(scheme, "sent")
    assert _download(client_for(member), document).status_code == 200


def test_a_regions_viewer_does_not_get_access_application_materials(
    enterprise, member, viewer, client_for
):
    application = AccessApplicationFactory(enterprise=enterprise)
    add_all_materials(application, actor=member)
    material = Attachment.objects.filter(object_id=application.pk).first()
    assert _download(client_for(viewer), material).status_code == 404
    assert _download(client_for(member), material).status_code == 200


def test_files_of_the_enterprise_itself_stay_visible_to_its_region(
    enterprise, member, viewer, client_for
):
    licence = save_attachment(
        pdf("营业执照.pdf"),
        actor=member,
        enterprise=enterprise,
        owner=enterprise,
        kind="business_licence",
    )
    loose = save_attachment(pdf("说明.pdf"), actor=member, enterprise=enterprise)
    for attachment in (licence, loose):
        assert _download(client_for(viewer), attachment).status_code == 200


def test_a_regions_viewer_sees_neither_the_files_nor_the_audit_trail_of_an_enterprise(
    enterprise, member, reviewer, viewer, client_for
):
    application = AccessApplicationFactory(enterprise=enterprise)
    add_all_materials(application, actor=member)
    scheme = DesignSchemeFactory(enterprise=enterprise, sent=True)
    licence = save_attachment(
        pdf("营业执照.pdf"),
        actor=member,
        enterprise=enterprise,
        owner=enterprise,
        kind="business_licence",
    )
    from portal.services import approve_registration, reject_registration  # noqa: F401

    AuditEvent.record(enterprise, reviewer, "enterprise_updated", comment="内部意见：材料待补正")
    materials = Attachment.objects.filter(object_id__in=[application.pk, scheme.pk]).exclude(
        pk=licence.pk
    )
    assert materials.exists()

    page = client_for(viewer).get(f"/enterprises/{enterprise.pk}/").content.decode()
    assert enterprise.name in page
    for attachment in materials:
        assert attachment.original_name not in page
    assert "内部意见：材料待补正" not in page and "办理记录" not in page

    own = client_for(member).get(f"/enterprises/{enterprise.pk}/").content.decode()
    assert "内部意见：材料待补正" in own
    assert any(a.original_name in own for a in materials)
