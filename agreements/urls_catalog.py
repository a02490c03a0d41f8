"""Catalog pages (customers and contacts, services, business calendars), under /t/<slug>/.

Included from agreements/urls.py inside the "agreements" namespace, so names are reversed
as "agreements:catalog-…".
"""

from django.urls import path

from . import views_catalog as views

urlpatterns = [
    # Customers and their contacts
    path("customers/", views.CustomerListView.as_view(), name="catalog-customer-list"),
    path("customers/new/", views.CustomerFormView.as_view(), name="catalog-customer-create"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="catalog-customer-detail"),
    path(
        "customers/<int:pk>/edit/", views.CustomerFormView.as_view(), name="catalog-customer-edit"
    ),
    path(
        "customers/<int:pk>/archive/",
        views.CustomerArchiveView.as_view(),
        name="catalog-customer-archive",
    ),
    path(
        "customers/<int:pk>/unarchive/",
        views.CustomerUnarchiveView.as_view(),
        name="catalog-customer-unarchive",
    ),
    path(
        "customers/<int:pk>/delete/",
        views.CustomerDeleteView.as_view(),
        name="catalog-customer-delete",
    ),
    path(
        "customers/<int:pk>/contacts/new/",
        views.ContactCreateView.as_view(),
        name="catalog-contact-create",
    ),
    path("contacts/<int:pk>/", views.ContactRowView.as_view(), name="catalog-contact-row"),
    path("contacts/<int:pk>/edit/", views.ContactEditView.as_view(), name="catalog-contact-edit"),
    path(
        "contacts/<int:pk>/archive/",
        views.ContactArchiveView.as_view(),
        name="catalog-contact-archive",
    ),
    path(
        "contacts/<int:pk>/unarchive/",
        views.ContactUnarchiveView.as_view(),
        name="catalog-contact-unarchive",
    ),
    # Services
    path("services/", views.ServiceListView.as_view(), name="catalog-service-list"),
    path("services/new/", views.ServiceFormView.as_view(), name="catalog-service-create"),
    path("services/<int:pk>/edit/", views.ServiceFormView.as_view(), name="catalog-service-edit"),
    path(
        "services/<int:pk>/archive/",
        views.ServiceArchiveView.as_view(),
        name="catalog-service-archive",
    ),
    path(
        "services/<int:pk>/unarchive/",
        views.ServiceUnarchiveView.as_view(),
        name="catalog-service-unarchive",
    ),
    path(
        "services/<int:pk>/delete/",
        views.ServiceDeleteView.as_view(),
        name="catalog-service-delete",
    ),
    # Business calendars
    path("calendars/", views.CalendarListView.as_view(), name="catalog-calendar-list"),
    path("calendars/new/", views.CalendarFormView.as_view(), name="catalog-calendar-create"),
    path("calendars/<int:pk>/", views.CalendarDetailView.as_view(), name="catalog-calendar-detail"),
    path(
        "calendars/<int:pk>/edit/", views.CalendarFormView.as_view(), name="catalog-calendar-edit"
    ),
    path(
        "calendars/<int:pk>/archive/",
        views.CalendarArchiveView.as_view(),
        name="catalog-calendar-archive",
    ),
    path(
        "calendars/<int:pk>/unarchive/",
        views.CalendarUnarchiveView.as_view(),
        name="catalog-calendar-unarchive",
    ),
    path(
        "calendars/<int:pk>/delete/",
        views.CalendarDeleteView.as_view(),
        name="catalog-calendar-delete",
    ),
]
