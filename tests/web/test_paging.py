"""Pages of a board and windows of a JSON list, one way for every capability."""

from __future__ import annotations

import pytest

from ecoloop.web.paging import MAX_LIMIT, PAGE_SIZE, clamp_window, page_of


@pytest.mark.parametrize(
    ("total", "asked", "number", "pages", "offset"),
    [
        (0, 1, 1, 1, 0),  # an empty list has its first page
        (0, 7, 1, 1, 0),
        (1, 1, 1, 1, 0),
        (PAGE_SIZE, 2, 1, 1, 0),  # exactly one full page
        (PAGE_SIZE + 1, 2, 2, 2, PAGE_SIZE),
        (3 * PAGE_SIZE, 2, 2, 3, PAGE_SIZE),
        (3 * PAGE_SIZE, 99, 3, 3, 2 * PAGE_SIZE),  # past the last page: the last
        (10, 0, 1, 1, 0),  # below the first: the first
    ],
)
def test_a_page_is_within_the_pages_there_are(total: int, asked: int, number: int, pages: int, offset: int) -> None:
    page = page_of(total, asked)
    assert (page.number, page.pages, page.offset, page.limit) == (number, pages, offset, PAGE_SIZE)


def test_a_page_of_another_size() -> None:
    page = page_of(25, 3, size=10)
    assert (page.number, page.pages, page.offset, page.limit) == (3, 3, 20, 10)


@pytest.mark.parametrize(
    ("limit", "offset", "window"),
    [(200, 0, (200, 0)), (0, -5, (1, 0)), (MAX_LIMIT + 1, 10, (MAX_LIMIT, 10)), (-3, 7, (1, 7))],
)
def test_a_window_is_brought_within_bounds(limit: int, offset: int, window: tuple[int, int]) -> None:
    assert clamp_window(limit, offset) == window
