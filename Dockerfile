# The portal's image: web (gunicorn), Celery worker and Celery beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint renders PDFs through Pango and HarfBuzz; the CJK fonts (Noto CJK) print
# Chinese in the issued reports, and fontconfig's fc-list lets the system check
# (reports.W001) find them; gettext compiles the message catalogues below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-noto-cjk fontconfig gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, read from pyproject.toml, so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Catalogues are committed as .po and compiled here; static files are collected on start.
RUN mkdir -p locale \
    && python manage.py compilemessages --ignore=.venv -v 0 \
    && useradd --system --create-home --uid 10001 portal \
    && mkdir -p /app/var/media /app/staticfiles \
    && chown -R portal:portal /app/var /app/staticfiles

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
