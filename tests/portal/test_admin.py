"""The operator's admin lists: a page of rows costs the same few queries as one row."""

import pytest

from portal.attachments import as_bytes_upload, save_attachment
from portal.notifications import notify
from portal.services import approve_registration
from tests.portal.factories import EnterpriseFactory, member_of


@pytest.fixture
def history(reviewer):
    for _ in range(5):
        enterprise = EnterpriseFactory(registration_status="pending")
        member = member_of(enterprise)
        approve_registration(enterprise, reviewer, "通过")
        notify([member], "标题")
        upload = as_bytes_upload("licence.pdf", b"%PDF-1.4\n%%EOF\n")
        save_attachment(upload, actor=member, enterprise=enterprise, owner=enterprise)


@pytest.mark.parametrize("model", ["auditevent", "notification", "attachment"])
def test_the_changelists_do_not_query_per_row(
    model, history, operator, client_for, django_assert_max_num_queries
):
    client = client_for(operator)
    with django_assert_max_num_queries(12):
        response = client.get(f"/admin/portal/{model}/")
    assert response.status_code == 200
