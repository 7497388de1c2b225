"""Notifications: an inbox row each now, one e-mail each after commit, never twice."""

import pytest
from django.db import transaction

from portal.models import Notification
from portal.notifications import notify
from portal.services import approve_registration
from portal.tasks import send_notification_email
from tests.portal.factories import EnterpriseFactory, member_of


def test_notify_creates_an_inbox_row_per_recipient(member, reviewer):
    rows = notify([member, reviewer, member], "标题", body="正文", link="/dashboard/")
    assert len(rows) == 2
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(
        [member.pk, reviewer.pk]
    )


def test_a_title_longer_than_the_column_is_cut_not_refused(member):
    # "新企业注册待审核：" + a 200-character enterprise name, as register_enterprise sends it.
    (row,) = notify([member], "新企业注册待审核：" + "企" * 200)
    row.refresh_from_db()
    assert len(row.title) == 200 and row.title.endswith("…")


def test_the_email_is_sent_only_after_commit(
    member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify([member], "注册已审核通过", body="材料齐全", link="/dashboard/")
        assert mailoutbox == []
    assert len(callbacks) == 1
    (mail,) = mailoutbox
    assert mail.to == [member.email]
    assert "注册已审核通过" in mail.subject
    assert "材料齐全" in mail.body
    assert "/dashboard/" in mail.body
    assert Notification.objects.get().emailed_at is not None


def test_a_transition_emails_the_enterprise_after_commit(
    reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    pending = EnterpriseFactory(registration_status="pending")
    colleague_a, colleague_b = member_of(pending), member_of(pending)
    with django_capture_on_commit_callbacks(execute=True):
        approve_registration(pending, reviewer, "通过")
    assert sorted(m.to[0] for m in mailoutbox) == sorted([colleague_a.email, colleague_b.email])


def test_the_email_task_is_idempotent(member, mailoutbox):
    (row,) = notify([member], "只发一次")
    assert send_notification_email(row.pk) == "sent"
    assert send_notification_email(row.pk) == "skipped"
    assert len(mailoutbox) == 1


def test_the_email_task_exits_quietly_for_a_missing_row(db, mailoutbox):
    assert send_notification_email(987654) == "skipped"
    assert mailoutbox == []


def test_a_recipient_without_an_address_gets_no_mail(member, mailoutbox):
    member.email = ""
    member.save()
    (row,) = notify([member], "无邮箱")
    assert send_notification_email(row.pk) == "no-address"
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing(mailoutbox):
    user = member_of(EnterpriseFactory())

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        notify([user], "不应发出")
        raise Boom
    assert mailoutbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_transaction_sends_the_mail(mailoutbox):
    user = member_of(EnterpriseFactory())
    with transaction.atomic():
        notify([user], "应当发出")
    assert [m.to for m in mailoutbox] == [[user.email]]


def test_the_inbox_lists_only_ones_own_notifications(member, outsider, client_for):
    notify([member], "我的通知")
    notify([outsider], "别人的通知")
    response = client_for(member).get("/inbox/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "我的通知" in html
    assert "别人的通知" not in html
    assert [n.title for n in response.context["page"]] == ["我的通知"]


def test_the_unread_count_shows_in_the_navigation(member, client_for):
    notify([member], "一")
    notify([member], "二")
    response = client_for(member).get("/inbox/")
    assert response.context["unread_notifications"] == 2


def test_htmx_mark_read_returns_the_fragment(member, client_for):
    (row,) = notify([member], "请查看")
    response = client_for(member).post(f"/inbox/{row.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li")
    assert f'id="note-{row.pk}"' in html
    assert "<html" not in html
    assert "标为已读" not in html  # the button goes once it is read
    row.refresh_from_db()
    assert row.read_at is not None


def test_mark_read_without_htmx_follows_the_link(member, client_for):
    (row,) = notify([member], "请查看", link="/dashboard/")
    response = client_for(member).post(f"/inbox/{row.pk}/read/")
    assert response["Location"] == "/dashboard/"


def test_mark_read_does_not_redirect_off_site(member, client_for):
    (row,) = notify([member], "可疑链接", link="https://evil.example.com/")
    response = client_for(member).post(f"/inbox/{row.pk}/read/")
    assert response["Location"] == "/inbox/"


def test_mark_all_read_touches_only_ones_own(member, outsider, client_for):
    notify([member], "我的")
    (theirs,) = notify([outsider], "别人的")
    client_for(member).post("/inbox/read-all/")
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
