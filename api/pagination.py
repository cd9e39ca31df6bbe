"""Pagination: marks by cursor (a page never skips or repeats a mark while others write), the
other lists by page number."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class MarkCursorPagination(CursorPagination):
    ordering = "id"  # unique and stable: a page never skips or repeats a mark
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ListPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
