from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path(
        "surveys/questionnaires/", views.QuestionnaireListView.as_view(), name="questionnaire-list"
    ),
    path(
        "surveys/questionnaires/<int:pk>/",
        views.QuestionnaireDetailView.as_view(),
        name="questionnaire-detail",
    ),
    path("surveys/questions/<int:pk>/", views.QuestionEditView.as_view(), name="question-edit"),
    path("surveys/campaigns/", views.CampaignListView.as_view(), name="campaign-list"),
    path("surveys/campaigns/new/", views.CampaignEditView.as_view(), name="campaign-create"),
    path("surveys/campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path(
        "surveys/campaigns/<int:pk>/edit/", views.CampaignEditView.as_view(), name="campaign-edit"
    ),
    path(
        "surveys/campaigns/<int:pk>/results/",
        views.CampaignResultsView.as_view(),
        name="campaign-results",
    ),
    path("surveys/rounds/<int:pk>/", views.RoundDetailView.as_view(), name="round-detail"),
    path(
        "surveys/invitations/<int:pk>/answer/",
        views.EnterAnswerView.as_view(),
        name="invitation-answer",
    ),
    path(
        "surveys/agreements/<int:pk>/results/",
        views.AgreementResultsView.as_view(),
        name="agreement-results",
    ),
    path("surveys/follow-ups/", views.FollowUpListView.as_view(), name="followup-list"),
    path(
        "surveys/follow-ups/<int:pk>/", views.FollowUpDetailView.as_view(), name="followup-detail"
    ),
]
