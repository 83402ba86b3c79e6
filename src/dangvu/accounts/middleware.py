"""Each request reads the signed-in user's grants once (``scoping.reading_grants_once``)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dangvu.accounts import scoping


class GrantsOncePerRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with scoping.reading_grants_once():
            return self.get_response(request)
