"""buurtkit's URLs plus one bare redirect view, the yardstick of bench/qr_resolve.py.

The bare view is the least work a Django redirect can do, behind the same server and middleware.
It exists only in this benchmark, never in buurtkit's own URLs.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("https://example.org/bench")


urlpatterns = [path("bare", bare), path("", include("buurtkit.conf.urls"))]
