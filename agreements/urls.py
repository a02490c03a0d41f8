from django.urls import include, path

from . import views, views_workflow

app_name = "agreements"

urlpatterns = [
    path("agreements/", views.AgreementListView.as_view(), name="list"),
    path("agreements/new/", views.AgreementCreateView.as_view(), name="create"),
    path(
        "agreements/contact-options/",
        views_workflow.ContactOptionsView.as_view(),
        name="contact-options",
    ),
    path("agreements/<int:pk>/", views.AgreementDetailView.as_view(), name="detail"),
    path("agreements/<int:pk>/edit/", views.AgreementEditView.as_view(), name="edit"),
    path("agreements/<int:pk>/print/", views.AgreementPrintView.as_view(), name="print"),
    path("agreements/<int:pk>/diff/", views.AgreementDiffView.as_view(), name="diff"),
    path("agreements/<int:pk>/tiers/add/", views.TierEditView.as_view(), name="tier-add"),
    path(
        "agreements/<int:pk>/tiers/<int:part_pk>/", views.TierEditView.as_view(), name="tier-edit"
    ),
    path(
        "agreements/<int:pk>/tiers/<int:part_pk>/delete/",
        views.TierDeleteView.as_view(),
        name="tier-delete",
    ),
    path("agreements/<int:pk>/metrics/add/", views.MetricEditView.as_view(), name="metric-add"),
    path(
        "agreements/<int:pk>/metrics/<int:part_pk>/",
        views.MetricEditView.as_view(),
        name="metric-edit",
    ),
    path(
        "agreements/<int:pk>/metrics/<int:part_pk>/delete/",
        views.MetricDeleteView.as_view(),
        name="metric-delete",
    ),
    path(
        "agreements/<int:pk>/exclusions/add/",
        views.ExclusionEditView.as_view(),
        name="exclusion-add",
    ),
    path(
        "agreements/<int:pk>/exclusions/<int:part_pk>/",
        views.ExclusionEditView.as_view(),
        name="exclusion-edit",
    ),
    path(
        "agreements/<int:pk>/exclusions/<int:part_pk>/delete/",
        views.ExclusionDeleteView.as_view(),
        name="exclusion-delete",
    ),
    path(
        "agreements/<int:pk>/recipients/add/",
        views.RecipientEditView.as_view(),
        name="recipient-add",
    ),
    path(
        "agreements/<int:pk>/recipients/<int:part_pk>/",
        views.RecipientEditView.as_view(),
        name="recipient-edit",
    ),
    path(
        "agreements/<int:pk>/recipients/<int:part_pk>/delete/",
        views.RecipientDeleteView.as_view(),
        name="recipient-delete",
    ),
    path("agreements/<int:pk>/submit/", views.SubmitView.as_view(), name="submit"),
    path("agreements/<int:pk>/approve/", views.ApproveView.as_view(), name="approve"),
    path(
        "agreements/<int:pk>/approval/",
        views_workflow.RecordApprovalView.as_view(),
        name="approval-record",
    ),
    path(
        "agreements/<int:pk>/approval-link/",
        views_workflow.RequestApprovalLinkView.as_view(),
        name="approval-link-send",
    ),
    path("agreements/<int:pk>/send-back/", views_workflow.SendBackView.as_view(), name="send-back"),
    path("agreements/<int:pk>/activate/", views.ActivateView.as_view(), name="activate"),
    path("agreements/<int:pk>/new-version/", views.NewVersionView.as_view(), name="new-version"),
    path("agreements/<int:pk>/terminate/", views.TerminateView.as_view(), name="terminate"),
    path("", include("agreements.urls_catalog")),
]
