"""Gapless per-kind, per-year document numbers (portal.numbering)."""

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from portal.models import DocumentCounter
from portal.numbering import next_number
from tests.concurrency import results_at_once


@pytest.mark.django_db
def test_each_kind_and_year_counts_on_its_own():
    assert [next_number("design_scheme", 2026) for _ in range(3)] == [1, 2, 3]
    assert next_number("conformance_report", 2026) == 1
    assert next_number("design_scheme", 2027) == 1
    assert next_number("design_scheme", 2026) == 4


@pytest.mark.django_db
def test_a_rolled_back_creation_gives_its_number_back():
    next_number("design_scheme", 2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number("design_scheme", 2026) == 2
        raise RuntimeError("the numbered record could not be created")
    assert next_number("design_scheme", 2026) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql(reason="row locks need PostgreSQL")
def test_concurrent_numbers_are_distinct_and_consecutive():
    def take(_):
        with transaction.atomic():
            return next_number("conformance_report", 2026)

    numbers = results_at_once(take, range(8))
    assert sorted(numbers) == list(range(1, 9))


@pytest.mark.django_db(transaction=True)
def test_the_scheme_counter_rows_move_into_the_document_counter():
    before = [("applications", "0001_initial"), ("portal", "0002_document_counter")]
    after = [("applications", "0002_scheme_numbers_in_document_counter")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("applications", "SchemeCounter").objects.create(year=2026, last=7)

    executor = MigrationExecutor(connection)
    executor.migrate(after)

    counter = DocumentCounter.objects.get(kind="design_scheme", year=2026)
    assert counter.last == 7
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
