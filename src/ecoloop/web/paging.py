"""Paging of lists: the pages of a board (`?page=`, 50 rows a page) and the window of a JSON list
(`?limit=&offset=`), one way for every capability."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Annotated

from fastapi import Query
from pydantic import Field

from ecoloop.db.base import DbInt

PAGE_SIZE = 50  # rows of a board page
MAX_PAGE = 100_000  # the highest page number a query may ask for (bounded like every number that comes in)
DEFAULT_LIMIT = 200  # rows of a JSON list when the caller names no limit
MAX_LIMIT = 1000  # the most rows one JSON call returns

# `?page=` of a board, as a query model's field or a route's parameter.
PageField = Annotated[int, Field(ge=1, le=MAX_PAGE)]
PageQuery = Annotated[int, Query(ge=1, le=MAX_PAGE)]
# `?limit=&offset=` of a JSON list (outside the bounds: 422).
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[DbInt, Query(ge=0)]


@dataclass(frozen=True)
class Page:
    """One page of a list: its number, how many pages there are, and the rows it shows."""

    number: int
    pages: int
    size: int = PAGE_SIZE

    @property
    def limit(self) -> int:
        """How many rows the page shows at most."""
        return self.size

    @property
    def offset(self) -> int:
        """How many rows come before the page."""
        return (self.number - 1) * self.size


def page_of(total: int, asked: int, size: int = PAGE_SIZE) -> Page:
    """The page `asked` for of `total` rows: there is always a first page, and a number past the last page shows
    the last."""
    pages = max(1, ceil(total / size))
    return Page(min(max(asked, 1), pages), pages, size)


def clamp_window(limit: int, offset: int) -> tuple[int, int]:
    """A JSON list's window brought within bounds instead of refused (1 to `MAX_LIMIT` rows, from row 0 on)."""
    return min(max(limit, 1), MAX_LIMIT), max(offset, 0)
