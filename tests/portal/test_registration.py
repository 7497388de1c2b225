"""An enterprise registers itself; a reviewer approves or rejects it."""

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import (
    Attachment,
    AuditEvent,
    Enterprise,
    Membership,
    Notification,
    RegistrationStatus,
    User,
)
from portal.permissions import can_file_for
from portal.uscc import make_uscc
from tests.portal.factories import PASSWORD, EnterpriseFactory, ReviewerFactory, member_of

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
USCC = make_uscc("91420100MA4K12345")


def registration(**overrides):
    data = {
        "name": "武汉新注册化工有限公司",
        "uscc": USCC,
        "region": "420100",
        "industry": "C26",
        "address": "湖北省武汉市化工区 8 号",
        "legal_representative": "王五",
        "contact_person": "赵六",
        "contact_phone": "027-86001234",
        "contact_email": "energy@new.example.cn",
        "username": "newcomer",
        "full_name": "赵六",
        "email": "zhao@new.example.cn",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "licence": SimpleUploadedFile("营业执照.pdf", PDF_BYTES, "application/pdf"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def reviewers(db):
    return [ReviewerFactory(), ReviewerFactory()]


@pytest.fixture
def registered(client, reviewers):
    response = client.post("/accounts/register/", registration())
    assert response.status_code == 302, response.context["form"].errors
    return Enterprise.objects.get(uscc=USCC)


def test_registration_creates_a_pending_enterprise_with_its_admin(registered):
    assert registered.registration_status == RegistrationStatus.PENDING
    user = User.objects.get(username="newcomer")
    membership = Membership.objects.get(enterprise=registered)
    assert membership.user == user
    assert membership.is_admin


def test_registration_stores_the_licence_with_its_hash(registered):
    attachment = Attachment.objects.get(enterprise=registered)
    assert attachment.kind == "business_licence"
    assert attachment.mime_type == "application/pdf"
    assert attachment.original_name == "营业执照.pdf"
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES


def test_registration_records_an_audit_event(registered):
    event = AuditEvent.objects.get(enterprise=registered, event="enterprise_registered")
    assert event.actor.username == "newcomer"


def test_registration_tells_every_reviewer(registered, reviewers):
    notes = Notification.objects.filter(title__contains=registered.name)
    assert sorted(n.recipient_id for n in notes) == sorted(r.pk for r in reviewers)
    assert all(n.link == f"/enterprises/{registered.pk}/" for n in notes)


def test_registration_emails_the_reviewers_after_commit(
    client, reviewers, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/register/", registration())
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in reviewers)


def test_registration_logs_the_new_user_in_and_lands_on_the_dashboard(client, reviewers):
    response = client.post("/accounts/register/", registration(), follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert response.context["user"].username == "newcomer"
    assert "stage-tracker-card" in response.content.decode()


def test_the_new_user_cannot_file_until_a_reviewer_approves(registered, reviewers, client_for):
    user = User.objects.get(username="newcomer")
    assert not can_file_for(user, registered)
    response = client_for(reviewers[0]).post(
        f"/enterprises/{registered.pk}/approve/", {"comment": "材料齐全"}
    )
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.registration_status == RegistrationStatus.APPROVED
    assert can_file_for(user, registered)


def test_the_enterprise_is_told_of_the_approval(registered, reviewers, client_for):
    client_for(reviewers[0]).post(f"/enterprises/{registered.pk}/approve/", {"comment": "齐全"})
    note = Notification.objects.get(recipient__username="newcomer")
    assert note.body == "齐全"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("password2", "something-else-2026"),
        ("uscc", "91420100177570439X"),
        ("licence", SimpleUploadedFile("licence.pdf", b"just text, not a pdf")),
    ],
)
def test_a_refused_registration_creates_nothing(field, value, client, reviewers):
    response = client.post("/accounts/register/", registration(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Enterprise.objects.exists()
    assert not User.objects.filter(username="newcomer").exists()
    assert not Attachment.objects.exists()


def test_a_licence_must_be_a_pdf_or_an_image(client, reviewers):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    docx = SimpleUploadedFile("licence.docx", buffer.getvalue())
    response = client.post("/accounts/register/", registration(licence=docx))
    assert response.status_code == 200
    assert "licence" in response.context["form"].errors
    assert not Enterprise.objects.exists()


def test_registration_refuses_a_taken_username(client, reviewers):
    member_of(EnterpriseFactory(), user__username="NewComer")
    response = client.post("/accounts/register/", registration())
    assert "username" in response.context["form"].errors


def test_a_logged_in_user_is_sent_to_the_dashboard(member, client_for):
    response = client_for(member).get("/accounts/register/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


# --- reviewer decisions on the page -----------------------------------------------------------


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_reject_requires_a_comment(pending, reviewer, client_for):
    response = client_for(reviewer).post(f"/enterprises/{pending.pk}/reject/", {"comment": " "})
    assert response.status_code == 302
    assert messages_of(response) == ["请填写意见或理由。"]
    pending.refresh_from_db()
    assert pending.registration_status == RegistrationStatus.PENDING


def test_reject_with_a_comment_rejects(pending, reviewer, client_for):
    client_for(reviewer).post(f"/enterprises/{pending.pk}/reject/", {"comment": "非重点用能单位"})
    pending.refresh_from_db()
    assert pending.registration_status == RegistrationStatus.REJECTED
    event = AuditEvent.objects.get(enterprise=pending, event="registration_rejected")
    assert event.comment == "非重点用能单位"


def test_approving_twice_says_the_state_is_wrong(pending, reviewer, client_for):
    client = client_for(reviewer)
    client.post(f"/enterprises/{pending.pk}/approve/")
    response = client.post(f"/enterprises/{pending.pk}/approve/", follow=True)
    assert response.status_code == 200
    assert "当前状态为“已通过”，不能执行此操作。" in response.content.decode()
    assert AuditEvent.objects.filter(event="registration_approved").count() == 1


def test_the_decision_pages_accept_only_post(pending, reviewer, client_for):
    assert client_for(reviewer).get(f"/enterprises/{pending.pk}/approve/").status_code == 405


@pytest.mark.parametrize("person", ["member", "viewer"])
def test_only_reviewers_may_decide_on_the_page(person, request, pending, client_for):
    user = request.getfixturevalue(person)
    response = client_for(user).post(f"/enterprises/{pending.pk}/approve/")
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.registration_status == RegistrationStatus.PENDING


# --- the same through the API --------------------------------------------------------------


def test_api_approve_as_reviewer(pending, reviewer, api_client_for):
    response = api_client_for(reviewer).post(
        f"/api/v1/enterprises/{pending.pk}/approve/", {"comment": "通过"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["registration_status"] == "approved"


def test_api_reject_as_reviewer(pending, reviewer, api_client_for):
    response = api_client_for(reviewer).post(
        f"/api/v1/enterprises/{pending.pk}/reject/", {"comment": "不符合"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["registration_status"] == "rejected"


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_api_decisions_are_refused_to_enterprise_members(action, pending, api_client_for):
    own_member = pending.memberships.get().user
    response = api_client_for(own_member).post(
        f"/api/v1/enterprises/{pending.pk}/{action}/", {"comment": "自己批准"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    pending.refresh_from_db()
    assert pending.registration_status == RegistrationStatus.PENDING


def test_api_refused_transition_is_409_with_field_and_reason(enterprise, reviewer, api_client_for):
    # `enterprise` is already approved.
    response = api_client_for(reviewer).post(
        f"/api/v1/enterprises/{enterprise.pk}/approve/", {}, format="json"
    )
    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["field"] == "state"
    assert error["reason"] == "当前状态为“已通过”，不能执行此操作。"
    assert error["code"] == "wrong_state"


def test_api_reject_without_comment_is_409_naming_the_comment(pending, reviewer, api_client_for):
    response = api_client_for(reviewer).post(
        f"/api/v1/enterprises/{pending.pk}/reject/", {}, format="json"
    )
    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["field"] == "comment"
    assert error["code"] == "comment_required"


def test_a_good_licence_is_kept_when_another_answer_is_wrong(client, reviewers):
    response = client.post("/accounts/register/", registration(password2="something-else"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "已收到“营业执照.pdf”" in page  # not asked for again
    assert "为安全起见，表单出错后需重新输入密码" in page  # the passwords are, and it says so
    assert 'id="error-summary"' in page and 'href="#id_password2"' in page
    # ADR 0014: both passwords are cleared, and the summary itself says so.
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "两次输入的密码均未保留，请重新输入“密码”和“确认密码”" in summary
    assert 'name="password1"' in page and "something-else" not in page
    assert 'value="武汉新注册化工有限公司"' in page

    data = registration()
    del data["licence"]
    response = client.post("/accounts/register/", data)
    assert response.status_code == 302
    licence = Attachment.objects.get(kind="business_licence")
    assert licence.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert licence.original_name == "营业执照.pdf"


def test_without_a_kept_licence_the_licence_is_still_required(client, reviewers):
    data = registration()
    del data["licence"]
    response = client.post("/accounts/register/", data)
    assert response.status_code == 200
    assert not Enterprise.objects.filter(uscc=USCC).exists()


def test_a_telephone_number_that_is_none_is_refused(client, reviewers):
    response = client.post("/accounts/register/", registration(contact_phone="abc"))
    assert response.status_code == 200
    assert "请填写有效的电话号码" in response.content.decode()


def test_kept_licences_of_abandoned_registrations_are_dropped(
    client, reviewers, settings, tmp_path
):
    from datetime import timedelta

    from portal import kept_uploads

    settings.MEDIA_ROOT = tmp_path
    client.post("/accounts/register/", registration(password2="something-else"))
    assert kept_uploads.drop_stale() == 0  # still fresh
    assert kept_uploads.drop_stale(older_than=timedelta(seconds=-1)) == 1
