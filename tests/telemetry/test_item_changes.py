"""Data-item changes during a stable-upload trial: asked, approved or rejected, applied."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.dashboards import REVIEWER_QUEUES
from portal.models import AuditEvent, Notification
from portal.workflow import TransitionRefused
from telemetry.item_history import expected_slots
from telemetry.models import ChangeStatus, DataItem, DataItemRevision, ItemChangeRequest
from telemetry.services.importexport import COLUMNS, ImportRefused, header, import_items
from telemetry.services.item_changes import (
    apply_due_changes,
    approve_change,
    reject_change,
)

from .factories import DataItemFactory, registered_since, trial_connection
from .test_registry import item_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def in_trial(enterprise, today):
    return trial_connection(enterprise, today - timedelta(days=6))


@pytest.fixture
def item(enterprise, today):
    return registered_since(DataItemFactory(enterprise=enterprise), today - timedelta(days=10))


def edit_post(item, **overrides):
    segments = dict(
        zip(
            ["process", "process_unit", "device_code", "energy_class", "object_code", "usage"],
            [
                item.code.process,
                item.code.process_unit,
                item.code.device,
                item.code.energy_class,
                item.code.object_code,
                item.code.usage,
            ],
            strict=True,
        )
    )
    return item_post(**segments, value_min="0", value_max="100000", **overrides)


def travel(monkeypatch, day):
    real = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, tz=None: day if value is None else real(value)
    )


def deactivate(client, item, **terms):
    data = edit_post(item, name="改名后的电耗")
    data.pop("is_active")
    data.update({f"change-{k}": v for k, v in terms.items()})
    return client.post(reverse("telemetry:item_edit", args=[item.pk]), data)


def test_outside_a_trial_a_change_applies_at_once_and_writes_a_revision(
    client_for, member, enterprise, item, today
):
    response = deactivate(client_for(member), item)
    assert response.status_code == 302
    item.refresh_from_db()
    assert not item.is_active and item.name == "改名后的电耗"
    assert not ItemChangeRequest.objects.exists()
    latest = item.revisions.order_by("valid_from").last()
    assert (latest.valid_from, latest.is_active, latest.made_by) == (today, False, member)


def test_in_a_trial_deactivating_asks_a_reviewer_and_other_fields_apply_at_once(
    client_for, member, reviewer, enterprise, item, in_trial, today
):
    before = DataItem.objects.get(pk=item.pk).updated_at
    response = deactivate(client_for(member), item, reason="表计更换", effective_on=today)
    change = ItemChangeRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("telemetry:item_change_detail", args=[change.pk])
    item.refresh_from_db()
    assert item.is_active and item.name == "改名后的电耗"  # the name applied, the rest waits
    assert item.updated_at > before  # the upload path's cache sees the change
    assert (change.kind, change.status, change.is_active) == ("deactivate", "pending", False)
    assert change.before["is_active"] is True
    assert AuditEvent.objects.filter(event="item_change_requested").count() == 1
    assert Notification.objects.filter(recipient=reviewer, link__contains=str(change.pk)).exists()
    page = client_for(member).get(response["Location"])
    assert "待审核" in page.content.decode()
    registry = client_for(member).get(
        reverse("telemetry:enterprise_registry", args=[enterprise.pk])
    )
    assert "变更待审核" in registry.content.decode() and 'id="trial-change-note"' in (
        registry.content.decode()
    )


def test_in_a_trial_a_change_needs_a_reason_and_a_day_not_in_the_past(
    client_for, member, enterprise, item, in_trial, today
):
    client = client_for(member)
    response = deactivate(client, item)
    assert response.status_code == 200
    assert "请填写变更原因" in response.content.decode()
    response = deactivate(client, item, reason="x", effective_on=today - timedelta(days=1))
    assert "生效日期不能早于今天" in response.content.decode()
    assert not ItemChangeRequest.objects.exists()
    assert DataItem.objects.get(pk=item.pk).name != "改名后的电耗"  # nothing saved


def test_approved_today_applies_at_once_and_keeps_the_earlier_days(
    member, reviewer, enterprise, item, in_trial, today, client_for
):
    deactivate(client_for(member), item, reason="停用", effective_on=today)
    change = approve_change(reviewer, ItemChangeRequest.objects.get(), "同意")
    assert change.status == ChangeStatus.APPLIED
    item.refresh_from_db()
    assert not item.is_active
    revision = item.revisions.get(valid_from=today)
    assert (revision.is_active, revision.approved_by, revision.change_request) == (
        False,
        reviewer,
        change,
    )
    start = in_trial.trial_started_on
    rows = expected_slots(enterprise, start, today)
    assert [r[2] for r in rows] == [start + timedelta(days=n) for n in range(6)]  # not today
    assert Notification.objects.filter(recipient=member, title__contains="已批准").exists()
    assert set(AuditEvent.objects.filter(object_id=change.pk).values_list("event", flat=True)) >= {
        "item_change_approved",
        "item_change_applied",
    }


def test_a_later_day_is_applied_by_the_periodic_task_on_that_day(
    monkeypatch, member, reviewer, item, in_trial, today, client_for
):
    later = today + timedelta(days=3)
    deactivate(client_for(member), item, reason="停用", effective_on=later)
    change = approve_change(reviewer, ItemChangeRequest.objects.get())
    assert change.status == ChangeStatus.APPROVED
    assert apply_due_changes() == 0
    assert DataItem.objects.get(pk=item.pk).is_active
    travel(monkeypatch, later)
    assert apply_due_changes() == 1
    assert not DataItem.objects.get(pk=item.pk).is_active
    assert DataItemRevision.objects.get(item=item, valid_from=later).is_active is False
    assert "telemetry-apply-item-changes" in settings.CELERY_BEAT_SCHEDULE


def test_a_stated_day_passed_before_approval_takes_effect_from_the_approval_day(
    monkeypatch, member, reviewer, item, in_trial, today, client_for
):
    deactivate(client_for(member), item, reason="停用", effective_on=today)
    travel(monkeypatch, today + timedelta(days=2))
    change = approve_change(reviewer, ItemChangeRequest.objects.get())
    assert (change.requested_on, change.effective_on) == (today, today + timedelta(days=2))
    assert not DataItemRevision.objects.filter(item=item, valid_from=today).exists()


def test_rejecting_needs_a_reason_and_leaves_the_item(
    member, reviewer, item, in_trial, today, client_for
):
    deactivate(client_for(member), item, reason="停用", effective_on=today)
    change = ItemChangeRequest.objects.get()
    with pytest.raises(TransitionRefused):
        reject_change(reviewer, change, "  ")
    change = reject_change(reviewer, change, "该采集项未按期上传，不得停用")
    assert change.status == ChangeStatus.REJECTED
    assert DataItem.objects.get(pk=item.pk).is_active
    note = Notification.objects.get(recipient=member, title__contains="未获批准")
    assert "不得停用" in note.body
    with pytest.raises(TransitionRefused):
        approve_change(reviewer, change)


def test_members_cannot_decide_and_a_second_change_waits_for_the_first(
    member, item, in_trial, today, client_for
):
    client = client_for(member)
    deactivate(client, item, reason="停用", effective_on=today)
    change = ItemChangeRequest.objects.get()
    with pytest.raises(TransitionRefused):
        approve_change(member, change)
    assert client.post(reverse("telemetry:item_change_approve", args=[change.pk])).status_code in (
        403,
        404,
    )
    data = edit_post(item, interval_minutes="60", **{"change-reason": "再改"})
    response = client.post(reverse("telemetry:item_edit", args=[item.pk]), data)
    assert "已有待审核或待生效的变更申请" in response.content.decode()
    assert ItemChangeRequest.objects.count() == 1


def test_a_new_item_in_a_trial_is_stored_inactive_until_approved(
    client_for, member, reviewer, enterprise, in_trial, today
):
    data = item_post(**{"change-reason": "新增二号变压器"})
    response = client_for(member).post(reverse("telemetry:item_create", args=[enterprise.pk]), data)
    assert response.status_code == 302
    item = DataItem.objects.get(enterprise=enterprise)
    change = ItemChangeRequest.objects.get()
    assert not item.is_active and change.kind == "add" and change.is_active
    assert expected_slots(enterprise, today, today) == []
    approve_change(reviewer, change)
    assert DataItem.objects.get(pk=item.pk).is_active
    assert [r[5] for r in expected_slots(enterprise, today, today)] == [96]


def test_the_api_answers_202_with_the_pending_change(
    api_client_for, member, reviewer, item, in_trial, today
):
    client = api_client_for(member)
    url = f"/api/v1/telemetry/items/{item.pk}/"
    refused = client.patch(url, {"interval": 30}, format="json")
    assert refused.status_code == 400
    assert "reason" in str(refused.json())
    response = client.patch(url, {"interval": 30, "reason": "更换表计"}, format="json")
    assert response.status_code == 202
    pending = response.json()["pendingChange"]
    assert pending["status"] == "pending" and pending["proposed"]["interval"] == 30
    assert response.json()["interval"] == 15  # as registered until approved
    decide = f"/api/v1/telemetry/item-changes/{pending['id']}/approve/"
    assert client.post(decide, {}, format="json").status_code == 403
    approved = api_client_for(reviewer).post(decide, {"comment": "同意"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    again = api_client_for(reviewer).post(decide, {}, format="json")
    assert again.status_code == 409
    assert DataItem.objects.get(pk=item.pk).interval_minutes == 30


def test_the_import_turns_slot_changes_into_requests(member, reviewer, enterprise, in_trial):
    row = "010200030233000001,一号变压器,3300,,kWh,0,15,2,4,meter,0,5000,2,电能表 1 级,,1"
    body = ("\n".join([",".join(header(k, lbl) for k, lbl, _f in COLUMNS), row]) + "\n").encode()
    with pytest.raises(ImportRefused) as refused:
        import_items(member, enterprise, "items.csv", body)
    assert "变更原因" in refused.value.errors[0].reason
    assert not DataItem.objects.exists()
    result = import_items(member, enterprise, "items.csv", body, reason="补登")
    assert result == {"created": 1, "updated": 0, "pending": 1}
    assert ItemChangeRequest.objects.get().kind == "add"
    assert Notification.objects.filter(recipient=reviewer).count() == 1


def test_outsiders_and_other_regions_get_404(
    client_for, api_client_for, member, outsider, other_viewer, viewer, item, in_trial, today
):
    deactivate(client_for(member), item, reason="停用", effective_on=today)
    change = ItemChangeRequest.objects.get()
    urls = [
        reverse("telemetry:item_change_detail", args=[change.pk]),
        f"/api/v1/telemetry/item-changes/{change.pk}/",
    ]
    for user in (outsider, other_viewer):
        for url in urls:
            assert client_for(user).get(url).status_code == 404, url
        listing = client_for(user).get(reverse("telemetry:item_change_list") + "?status=all")
        assert item.data_code not in listing.content.decode()
        assert api_client_for(user).get("/api/v1/telemetry/item-changes/").json()["count"] == 0
    for user in (member, viewer):
        assert client_for(user).get(urls[0]).status_code == 200


def test_the_reviewer_queue_and_list_pages(client_for, reviewer, enterprise, in_trial, today):
    items = [DataItemFactory(enterprise=enterprise) for _ in range(4)]
    for n, item in enumerate(items):
        ItemChangeRequest.objects.create(
            enterprise=enterprise,
            item=item,
            kind="change",
            stat_type=0,
            interval_minutes=60,
            is_active=True,
            requested_on=today,
            effective_on=today,
            reason=f"r{n}",
        )
    queue = next(q for q in REVIEWER_QUEUES if q.url_name == "telemetry:item_change_list")
    assert queue.count() == 4
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("telemetry:item_change_list"))
    assert page.status_code == 200 and page.content.decode().count("r0") == 1
    assert len(queries) <= 12
    detail = client.get(
        reverse("telemetry:item_change_detail", args=[items[0].change_requests.get().pk])
    )
    assert 'id="decision"' in detail.content.decode()


def test_the_reviewer_decides_on_the_page(client_for, member, reviewer, item, in_trial, today):
    deactivate(client_for(member), item, reason="停用", effective_on=today)
    change = ItemChangeRequest.objects.get()
    client = client_for(reviewer)
    refused = client.post(
        reverse("telemetry:item_change_reject", args=[change.pk]), {"comment": ""}, follow=True
    )
    assert "请填写意见或理由" in refused.content.decode()
    done = client.post(
        reverse("telemetry:item_change_approve", args=[change.pk]), {"comment": "同意"}, follow=True
    )
    assert "已批准，变更已于" in done.content.decode()
    assert ItemChangeRequest.objects.get().status == ChangeStatus.APPLIED
    item_page = client.get(reverse("telemetry:item_detail", args=[item.pk])).content.decode()
    assert 'id="item-revisions"' in item_page and "同意" not in item_page


def test_the_migration_gives_every_existing_item_its_registration_revision(enterprise):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("telemetry.migrations.0015_item_initial_revisions")
    items = [DataItemFactory(enterprise=enterprise), DataItemFactory(enterprise=enterprise)]
    DataItem.objects.filter(pk=items[0].pk).update(
        created_at=timezone.now() - timedelta(days=30), is_active=False
    )
    DataItemRevision.objects.all().delete()
    migration.forwards(apps, None)
    migration.forwards(apps, None)  # run again: nothing doubles
    rows = list(
        DataItemRevision.objects.order_by("item_id").values_list(
            "item_id", "valid_from", "is_active"
        )
    )
    assert rows == [
        (items[0].pk, timezone.localdate() - timedelta(days=30), False),
        (items[1].pk, timezone.localtime(items[1].created_at).date(), True),
    ]
