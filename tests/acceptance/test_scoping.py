"""Every acceptance URL refuses outsiders; a region's viewer reads but opens no file."""

import pytest
from django.urls import reverse

from acceptance.models import AcceptanceState
from portal.models import Region

from ..portal.factories import GovernmentViewerFactory, PanelMemberFactory, member_of
from .factories import (
    AcceptanceApplicationFactory,
    ready_enterprise,
    upload_every_material,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed():
    ready = ready_enterprise()
    application = AcceptanceApplicationFactory(
        enterprise=ready.enterprise, state=AcceptanceState.DRAFT
    )
    upload_every_material(application, ready.member, ready.device)
    return application


def object_urls(application):
    pk = application.pk
    file_pk = application.material_files.first().pk
    gets = [
        reverse("acceptance:application_detail", args=[pk]),
        reverse("acceptance:application_edit", args=[pk]),
    ]
    posts = [
        reverse("acceptance:material_upload", args=[pk]),
        reverse("acceptance:material_delete", args=[pk, file_pk]),
        reverse("acceptance:material_verdict", args=[pk]),
        *(
            reverse(f"acceptance:application_{action}", args=[pk])
            for action in ("submit", "start_review", "return", "accept")
        ),
    ]
    return gets, posts


@pytest.mark.parametrize("who", ["other_member", "other_viewer", "panel_member"])
def test_outsiders_get_404_or_403_on_every_object_url(client, filed, who, other_enterprise):
    user = {
        "other_member": lambda: member_of(other_enterprise),
        "other_viewer": lambda: GovernmentViewerFactory(region=Region.YICHANG),
        "panel_member": lambda: PanelMemberFactory(),
    }[who]()
    client.force_login(user)
    files_before = filed.material_files.count()
    gets, posts = object_urls(filed)
    detail = reverse("acceptance:application_detail", args=[filed.pk])
    verdicts = reverse("acceptance:material_verdict", args=[filed.pk])

    def expected(url):
        # 403 only where the view's access rule refuses the role before any lookup: the
        # verdicts are the reviewers', editing and the actions the enterprise's and the
        # reviewers'; every page the role may open answers 404 for a record out of scope.
        if who == "other_member":
            return 403 if url == verdicts else 404
        return 404 if url == detail else 403

    for url in gets:
        assert client.get(url).status_code == expected(url), url
    for url in posts:
        response = client.post(url, {"material": "01_scheme", "verdict": "acceptable"})
        assert response.status_code == expected(url), url
    assert filed.material_files.count() == files_before  # nothing deleted
    attachment = filed.material_files.first().attachment
    assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 404


def test_the_regions_viewer_reads_the_application_but_not_its_files(client, filed):
    client.force_login(GovernmentViewerFactory(region=filed.enterprise.region))
    detail = client.get(reverse("acceptance:application_detail", args=[filed.pk]))
    assert detail.status_code == 200
    attachment = filed.material_files.first().attachment
    assert f"/files/{attachment.pk}/" not in detail.content.decode()
    assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("acceptance:application_list")).status_code == 200


def test_anonymous_is_sent_to_log_in(client, filed):
    response = client.get(reverse("acceptance:application_detail", args=[filed.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
