"""A liveness check for load balancers and monitoring: answers without touching the database.

It also serves as the framework's floor in ``bench/web.py``: the same server and middleware as
every page, with no work of its own.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
