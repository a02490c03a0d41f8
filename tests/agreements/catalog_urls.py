"""Test urlconf: the platform's URLs with the catalog pages added to the "agreements"
namespace under /t/<slug>/ (until agreements/urls.py includes agreements.urls_catalog).
The combined namespace comes first, so reversing "agreements:…" finds every name."""

from django.urls import include, path

from agreements import urls as agreement_urls
from agreements import urls_catalog
from slaweb.urls import urlpatterns as platform_patterns

urlpatterns = [
    path(
        "t/<slug:tenant_slug>/",
        include(([*urls_catalog.urlpatterns, *agreement_urls.urlpatterns], "agreements")),
    ),
    *platform_patterns,
]
