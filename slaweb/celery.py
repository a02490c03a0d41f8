import os

from celery import Celery

# Production unless told otherwise: it refuses to start without a real SECRET_KEY.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slaweb.settings.production")

app = Celery("slaweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
