from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("survey-questionnaires", views.QuestionnaireViewSet, basename="surveyquestionnaire")
router.register("survey-campaigns", views.CampaignViewSet, basename="surveycampaign")
router.register("survey-rounds", views.RoundViewSet, basename="surveyround")
router.register("survey-invitations", views.InvitationViewSet, basename="surveyinvitation")
router.register("survey-follow-ups", views.FollowUpViewSet, basename="surveyfollowup")

urlpatterns = router.urls
