FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=slaweb.settings.production
# gettext: compilemessages; pango + CJK fonts: report PDFs (WeasyPrint) with Chinese text.
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 \
    libpangoft2-1.0-0 fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY . .
# A throwaway key for the build steps only; the containers refuse to start without theirs.
RUN SECRET_KEY=build-only-0123456789012345678901234567890123456789 \
    python manage.py collectstatic --noinput -v 0 && \
    SECRET_KEY=build-only-0123456789012345678901234567890123456789 \
    python manage.py compilemessages --ignore=.venv -v 0
RUN useradd --create-home slaweb
USER slaweb
EXPOSE 8000
