"""Gapless numbers per kind of document and year: NY2026-0001 for design schemes, and the
numbers of the reports to come.

``next_number`` must run inside the transaction that creates the numbered record: the
counter row stays locked until that transaction ends and rolls back with it, so a refused
or failed creation gives its number back, and two concurrent creations never share one.
"""

from .models import DocumentCounter


def next_number(kind: str, year: int) -> int:
    """The next sequence number of ``kind`` in ``year`` (1, 2, 3 … without gaps)."""
    DocumentCounter.objects.bulk_create(
        [DocumentCounter(kind=kind, year=year)], ignore_conflicts=True
    )
    counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last
