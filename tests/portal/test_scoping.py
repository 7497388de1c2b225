"""The scoping rule, as a table: who gets which answer for whose records.

An outsider gets 404 (a record outside one's scope does not exist for them); an insider
without the right gets 403; anonymous pages redirect to the login, anonymous API calls 401.
"""

import pytest

from portal.attachments import as_bytes_upload, save_attachment
from portal.models import Membership, Notification, Region
from portal.notifications import notify
from tests.portal.factories import EnterpriseFactory, member_of

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

PEOPLE = ["member", "outsider", "viewer", "other_viewer", "reviewer"]


@pytest.fixture
def everyone(request):
    return {name: request.getfixturevalue(name) for name in PEOPLE}


@pytest.fixture
def licence(enterprise, member):
    return save_attachment(
        as_bytes_upload("licence.pdf", PDF_BYTES),
        actor=member,
        enterprise=enterprise,
        owner=enterprise,
    )


@pytest.fixture
def note(member):
    (row,) = notify([member], "注册已审核通过")
    return row


# (person, expected status) per page of the member's enterprise.
DETAIL_PAGE = [
    ("member", 200),
    ("outsider", 404),
    ("viewer", 200),
    ("other_viewer", 404),
    ("reviewer", 200),
]
# Government viewers are read-only: the edit page refuses them before any lookup (403),
# so it tells a viewer of another region nothing about the enterprise either.
EDIT_PAGE = [
    ("member", 200),
    ("outsider", 404),
    ("viewer", 403),
    ("other_viewer", 403),
    ("reviewer", 200),
]
FILE_DOWNLOAD = DETAIL_PAGE


@pytest.mark.parametrize(("person", "status"), DETAIL_PAGE)
def test_enterprise_page_answers_by_scope(person, status, enterprise, everyone, client_for):
    response = client_for(everyone[person]).get(f"/enterprises/{enterprise.pk}/")
    assert response.status_code == status


@pytest.mark.parametrize(("person", "status"), EDIT_PAGE)
def test_enterprise_edit_page_answers_by_scope(person, status, enterprise, everyone, client_for):
    response = client_for(everyone[person]).get(f"/enterprises/{enterprise.pk}/edit/")
    assert response.status_code == status


def test_a_member_without_the_admin_flag_may_not_edit(enterprise, client_for):
    colleague = member_of(enterprise, is_admin=False)
    assert client_for(colleague).get(f"/enterprises/{enterprise.pk}/edit/").status_code == 403


@pytest.mark.parametrize(("person", "status"), FILE_DOWNLOAD)
def test_file_download_answers_by_scope(person, status, licence, everyone, client_for):
    response = client_for(everyone[person]).get(f"/files/{licence.pk}/")
    assert response.status_code == status


@pytest.mark.parametrize("person", ["outsider", "viewer", "reviewer"])
def test_nobody_can_mark_someone_elses_notification_read(person, note, everyone, client_for):
    response = client_for(everyone[person]).post(f"/inbox/{note.pk}/read/")
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_the_recipient_can_mark_their_notification_read(note, member, client_for):
    response = client_for(member).post(f"/inbox/{note.pk}/read/")
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


# --- API objects ---------------------------------------------------------------------------

API_ENTERPRISE = DETAIL_PAGE
API_MEMBERSHIP = DETAIL_PAGE
API_NOTIFICATION = [
    ("member", 200),
    ("outsider", 404),
    ("viewer", 404),
    ("other_viewer", 404),
    ("reviewer", 404),
]


@pytest.mark.parametrize(("person", "status"), API_ENTERPRISE)
def test_api_enterprise_answers_by_scope(person, status, enterprise, everyone, api_client_for):
    response = api_client_for(everyone[person]).get(f"/api/v1/enterprises/{enterprise.pk}/")
    assert response.status_code == status


@pytest.mark.parametrize(("person", "status"), API_MEMBERSHIP)
def test_api_membership_answers_by_scope(person, status, member, everyone, api_client_for):
    membership = Membership.objects.get(user=member)
    response = api_client_for(everyone[person]).get(f"/api/v1/memberships/{membership.pk}/")
    assert response.status_code == status


@pytest.mark.parametrize(("person", "status"), API_NOTIFICATION)
def test_api_notification_answers_by_scope(person, status, note, everyone, api_client_for):
    response = api_client_for(everyone[person]).get(f"/api/v1/notifications/{note.pk}/")
    assert response.status_code == status


# An enterprise outside one's scope is 404 (as if it did not exist); the region's viewer
# sees it but may not edit it: 403.
@pytest.mark.parametrize(
    ("person", "status"), [("outsider", 404), ("viewer", 403), ("other_viewer", 404)]
)
def test_api_edit_by_someone_who_is_not_an_admin_of_the_enterprise_is_refused(
    person, status, enterprise, everyone, api_client_for
):
    response = api_client_for(everyone[person]).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"name": "改名"}, format="json"
    )
    assert response.status_code == status
    enterprise.refresh_from_db()
    assert enterprise.name != "改名"


# --- lists: the exact ids each person sees ----------------------------------------------------


@pytest.fixture
def province(enterprise, other_enterprise, member, outsider):
    """Two more enterprises: one in Wuhan and one in Xiangyang, each with a member."""
    wuhan_two = EnterpriseFactory(region=Region.WUHAN)
    xiangyang = EnterpriseFactory(region=Region.XIANGYANG)
    member_of(wuhan_two)
    member_of(xiangyang)
    return {
        "enterprise": enterprise,
        "other_enterprise": other_enterprise,
        "wuhan_two": wuhan_two,
        "xiangyang": xiangyang,
    }


VISIBLE_ENTERPRISES = {
    "member": ["enterprise"],
    "outsider": ["other_enterprise"],
    "viewer": ["enterprise", "wuhan_two"],
    "other_viewer": ["xiangyang"],
    "reviewer": ["enterprise", "other_enterprise", "wuhan_two", "xiangyang"],
}


def ids(response):
    assert response.status_code == 200
    return sorted(row["id"] for row in response.json()["results"])


@pytest.mark.parametrize(("person", "visible"), VISIBLE_ENTERPRISES.items())
def test_enterprise_list_shows_exactly_the_scope(
    person, visible, province, everyone, api_client_for
):
    response = api_client_for(everyone[person]).get("/api/v1/enterprises/")
    assert ids(response) == sorted(province[name].pk for name in visible)


@pytest.mark.parametrize(("person", "visible"), VISIBLE_ENTERPRISES.items())
def test_membership_list_shows_exactly_the_scope(
    person, visible, province, everyone, api_client_for
):
    response = api_client_for(everyone[person]).get("/api/v1/memberships/")
    expected = Membership.objects.filter(enterprise__in=[province[name] for name in visible])
    assert ids(response) == sorted(expected.values_list("pk", flat=True))
    assert len(expected) >= len(visible)


def test_notification_list_shows_only_ones_own(member, outsider, api_client_for):
    mine = notify([member], "给我的")
    notify([outsider], "给别人的")
    response = api_client_for(member).get("/api/v1/notifications/")
    assert ids(response) == sorted(row.pk for row in mine)
    assert Notification.objects.count() == 2


# --- anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/enterprises/", "/api/v1/memberships/", "/api/v1/notifications/", "/api/v1/me/"]
)
def test_anonymous_api_calls_get_401(url, client, enterprise):
    response = client.get(url)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_anonymous_api_object_call_gets_401(client, enterprise):
    assert client.get(f"/api/v1/enterprises/{enterprise.pk}/").status_code == 401


@pytest.mark.parametrize(
    "path",
    ["/dashboard/", "/enterprises/", "/enterprises/{pk}/", "/enterprises/{pk}/edit/", "/inbox/"],
)
def test_anonymous_pages_redirect_to_the_login(path, client, enterprise):
    url = path.format(pk=enterprise.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_anonymous_file_download_redirects_to_the_login(client, licence):
    response = client.get(f"/files/{licence.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
