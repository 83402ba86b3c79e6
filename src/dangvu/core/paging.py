"""Pages of a long sorted list whose next and previous pages are found after a row, not by
counting rows (keyset pagination), while the user still sees "page 7 of 1,156".

A page's "next" link carries its last row (``after``) and its "previous" link its first row
(``before``); the rows of that page are then those just after (or before) that row in the
list's order, read from an index that follows the order: page 500 of a province's members
costs what page 1 costs, where skipping 24,950 rows costs a whole sort. A page asked for by its
number alone (a typed address, the first page) is counted as usual (``Paginator``), and so is
a page whose row has meanwhile left the list.

Either way the page's primary keys are read first, a query the indexes can answer alone, and
then its rows with what they join (person, organization): the sort of a province's members
never carries their whole rows.

The order is given as its keys, the last of them unique (the primary key), all ascending or
all descending, none of them empty (``Coalesce`` an empty one).
"""

from typing import Any

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Q, QuerySet, Subquery


def page(
    rows: QuerySet[Any],
    keys: list[Any],
    descending: bool,
    per_page: int,
    query: Any,
    few: int = 0,
) -> Page:
    """The page of ``rows`` (ordered by ``keys``) that ``query`` (the request's GET) asks for:
    ``page`` its number, and ``after`` or ``before`` the primary key of the row it follows or
    precedes. The page knows the rows its links carry: ``page.after`` (its last row) and
    ``page.before`` (its first row, when the previous page is not the first).

    ``few``: the list is expected short (a search): the ids of its first ``few`` + 1 rows are
    read in one query, and when that is all of them they give the count and the page, where
    counting them apart would read the matches twice."""
    if few:
        every = list(rows.values_list("pk", flat=True)[: few + 1])
        if len(every) <= few:
            paginator = Paginator(every, per_page)
            number = _number(paginator, query.get("page"))
            return _shown(rows, list(paginator.page(number).object_list), number, paginator)
    paginator = Paginator(rows, per_page)
    number = _number(paginator, query.get("page"))
    ids: list[Any] = []
    if number > 1 and (after := _pk(query.get("after"))) is not None:
        ids = list(_beyond(rows, keys, descending, after).values_list("pk", flat=True)[:per_page])
    elif number > 1 and (before := _pk(query.get("before"))) is not None:
        preceding = _beyond(rows, keys, not descending, before).reverse()
        ids = list(preceding.values_list("pk", flat=True)[:per_page])
    if not ids:
        start = (number - 1) * per_page
        ids = list(rows.values_list("pk", flat=True)[start : start + per_page])
    return _shown(rows, ids, number, paginator)


def _shown(rows: QuerySet[Any], ids: list[Any], number: int, paginator: Paginator) -> Page:
    """The page of these ids: their rows with whatever they join, read once the ids are
    known (from the indexes alone), and the rows its links carry."""
    items = list(rows.filter(pk__in=ids)) if ids else []
    shown = Page(items, number, paginator)
    shown.after = items[-1].pk if items and shown.has_next() else None  # type: ignore[attr-defined]
    shown.before = items[0].pk if items and number > 2 else None  # type: ignore[attr-defined]
    return shown


def _number(paginator: Paginator, asked: Any) -> int:
    """The page number asked for, as ``Paginator.get_page`` reads it: the first page when it
    is not a number, the last when there are fewer pages."""
    try:
        return paginator.validate_number(asked)
    except InvalidPage:
        return 1 if not str(asked or "").isdigit() else paginator.num_pages


def _pk(value: Any) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _beyond(rows: QuerySet[Any], keys: list[Any], descending: bool, pk: int) -> QuerySet[Any]:
    """The rows after the row ``pk`` of ``rows`` in the order of ``keys`` (before it when
    ``descending`` is the opposite of the list's). The row's keys are read by subqueries, so
    its values never travel in the address; a row no longer in ``rows`` gives no rows."""
    names = [f"_key{i}" for i in range(len(keys))]
    row = rows.order_by().filter(pk=pk).annotate(**dict(zip(names, keys, strict=True)))
    values = [Subquery(row.values(name)[:1]) for name in names]
    beyond = "lt" if descending else "gt"
    condition, equal = Q(), Q()
    for name, value in zip(names, values, strict=True):
        condition |= equal & Q(**{f"{name}__{beyond}": value})
        equal &= Q(**{name: value})
    # the first key on its own, for the index that follows the order
    first = Q(**{f"{names[0]}__{beyond}e": values[0]})
    return rows.alias(**dict(zip(names, keys, strict=True))).filter(first, condition)


def query_without(request: Any, *names: str) -> str:
    """The request's query string without ``names`` (a page's number, its row, the order),
    ready for more parameters to be added: "" or "q=...&"."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return f"{params.urlencode()}&" if params else ""
