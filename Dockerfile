FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only-0123456789012345678901234567890123456789 \
    DJANGO_SETTINGS_MODULE=slaweb.settings.production python manage.py collectstatic --noinput
RUN useradd --create-home slaweb
USER slaweb
EXPOSE 8000
