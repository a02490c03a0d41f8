"""The site's URLs plus a trivial view: the floor of benchmarks/survey_load.py."""

from django.http import HttpResponse
from django.urls import include, path


def floor(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor), path("", include("slaweb.urls"))]
