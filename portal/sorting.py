"""Sortable list columns: the ?sort= parameter, the header links with their arrows and
aria-sort, shared by every list page (enterprises, applications, the trial board)."""

from dataclasses import dataclass

from django.db.models import F


@dataclass(frozen=True)
class Column:
    key: str
    field: str  # the ORM path ordered by
    descending_first: bool = False  # numbers and dates: the first click shows the highest


@dataclass(frozen=True)
class Header:
    url: str
    aria_sort: str  # "ascending", "descending" or "" (not the sorted column)
    arrow: str


def ordering(columns: list[Column], sort: str, default: str):
    """The sort in effect (an unknown one falls back to `default`) and its ORM ordering."""
    by_key = {column.key: column for column in columns}
    if sort.lstrip("-") not in by_key:
        sort = default
    field = by_key[sort.lstrip("-")].field
    order = (
        F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
    )
    return sort, order


def headers(request, columns: list[Column], sort: str) -> dict[str, Header]:
    """Per column: the link that sorts by it (the other way round when it is the current
    sort), the aria-sort of the sorted column and its arrow."""
    result = {}
    for column in columns:
        current = sort.lstrip("-") == column.key
        descending = sort.startswith("-")
        if current:
            target = column.key if descending else f"-{column.key}"
        else:
            target = f"-{column.key}" if column.descending_first else column.key
        params = request.GET.copy()
        params.pop("page", None)
        params["sort"] = target
        result[column.key] = Header(
            url=f"?{params.urlencode()}",
            aria_sort=("descending" if descending else "ascending") if current else "",
            arrow=("▼" if descending else "▲") if current else "↕",
        )
    return result
