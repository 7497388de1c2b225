"""Approvals at once get distinct numbers without gaps, also when some are refused."""

import pytest
from django.utils import timezone

from reports.kinds import KINDS, KindSpec
from reports.models import DocumentState, IssuedDocument
from reports.services import documents as engine
from tests.concurrency import at_once
from tests.portal.factories import EnterpriseFactory, ReviewerFactory

from .conftest import grant_approver

KIND = "numbering_test"


@pytest.fixture
def numbered_kind(settings, monkeypatch):
    settings.REPORT_NUMBER_PATTERNS = {
        **settings.REPORT_NUMBER_PATTERNS,
        KIND: "T-{year}-{seq:03d}",
    }
    monkeypatch.setitem(KINDS, KIND, KindSpec(template="reports/pdf/_document.html"))
    # The PDFs are not what this test is about.
    monkeypatch.setattr(engine, "enqueue_on_commit", lambda *args, **kwargs: None)


def checked_documents(count):
    compiler, checker = ReviewerFactory(), ReviewerFactory()
    enterprise = EnterpriseFactory()
    return [
        IssuedDocument.objects.create(
            kind=KIND,
            enterprise=enterprise,
            title=f"测试 {n}",
            state=DocumentState.CHECKED,
            compiled_by=compiler,
            compiled_at=timezone.now(),
            checked_by=checker,
            checked_at=timezone.now(),
        )
        for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_concurrent_approvals_give_distinct_gapless_numbers(numbered_kind):
    documents = checked_documents(6)
    approver = grant_approver(ReviewerFactory())
    # The first document is approved twice at once: one of the two is refused.
    outcomes = at_once(
        lambda document: engine.approve_document(document, approver), [documents[0], *documents]
    )
    assert outcomes.count("ok") == 6 and len(outcomes) == 7
    year = timezone.localdate().year
    numbers = sorted(IssuedDocument.objects.values_list("number", flat=True))
    assert numbers == [f"T-{year}-{n:03d}" for n in range(1, 7)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_approving_and_sending_back_at_once_one_decision_stands(numbered_kind):
    (document,) = checked_documents(1)
    approver = grant_approver(ReviewerFactory())
    decisions = [
        lambda: engine.approve_document(document, approver),
        lambda: engine.send_back(document, ReviewerFactory(), "数据有误"),
    ]
    outcomes = at_once(lambda decide: decide(), decisions)

    assert sorted(outcomes) == ["ok", "wrong_state"]
    document.refresh_from_db()
    if document.state == DocumentState.ISSUED:
        assert document.number
    else:
        assert not document.number
        assert not IssuedDocument.objects.filter(number__gt="").exists()
