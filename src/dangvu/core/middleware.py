"""Request id: one identifier per request, carried into every audit entry written during it."""

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dangvu.core import audit


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        with audit.request_context(request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
