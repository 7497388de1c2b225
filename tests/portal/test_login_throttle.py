"""Login throttling (issue 14): 30 wrong passwords then the right one used to succeed."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.urls import reverse

from portal.models import AuditEvent
from tests.portal.factories import PASSWORD, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 5


def login(client, username, password, address="198.51.100.7"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_the_right_password_after_too_many_wrong_ones_is_refused(client, enterprise):
    user = member_of(enterprise)
    for _ in range(30):
        login(client, user.username, "wrong-password")
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Every failed attempt is logged (django-axes' failure log, shown in the admin).
    assert AccessFailureLog.objects.filter(username=user.username).count() >= 30


def test_fewer_failures_than_the_limit_do_not_lock(client, enterprise):
    user = member_of(enterprise)
    for _ in range(4):
        login(client, user.username, "wrong-password")
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 302


def test_one_address_trying_many_accounts_is_locked_for_all_of_them(client, enterprise):
    user = member_of(enterprise)
    for number in range(6):
        login(client, f"guess{number}", "wrong-password", address="203.0.113.9")
    assert login(client, user.username, PASSWORD, address="203.0.113.9").status_code == 429
    # The account itself is not locked from elsewhere.
    assert login(client, user.username, PASSWORD, address="198.51.100.20").status_code == 302


def test_the_token_endpoint_is_throttled_too(client, enterprise):
    user = member_of(enterprise)
    for _ in range(6):
        response = client.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR="198.51.100.30",
        )
        assert response.status_code in (400, 429)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.30",
    )
    assert response.status_code == 429
    assert response.json()["errors"][0]["field"] == "username"


def test_a_reviewer_lifts_a_lockout_and_it_is_recorded(client, enterprise, reviewer, client_for):
    user = member_of(enterprise)
    for _ in range(6):
        login(client, user.username, "wrong-password")
    attempt = AccessAttempt.objects.get(username=user.username)

    page = client_for(reviewer).get(reverse("lockout_list"))
    assert page.status_code == 200 and user.username in page.content.decode()
    client_for(reviewer).post(f"/security/lockouts/{attempt.pk}/lift/")

    assert login(client, user.username, PASSWORD).status_code == 302
    event = AuditEvent.objects.get(event="login_lockout_lifted")
    assert event.actor == reviewer and event.context["address"] == "198.51.100.7"


def test_only_staff_see_and_lift_lockouts(client_for, member, viewer):
    for person in (member, viewer):
        assert client_for(person).get(reverse("lockout_list")).status_code == 403
