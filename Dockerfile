# The Télésanté portal's production image: one image for gunicorn, the Celery worker and beat.
# docker-compose.yml builds it and says how each service runs it.

# --- Front-end packages, exactly as pinned by package-lock.json. Node.js is needed only here.
FROM python:3.11-slim-bookworm AS assets
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# The same files as the Makefile's static/vendor/.installed rule (the portal uses no CDN).
RUN npm ci --no-audit --no-fund --loglevel=error \
 && mkdir -p static/vendor \
 && cp node_modules/@picocss/pico/css/pico.min.css static/vendor/ \
 && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/ \
 && cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/

# --- What the build and the running portal both need: WeasyPrint's libraries and a font, to render PDFs.
FROM python:3.11-slim-bookworm AS base
ENV PYTHONUNBUFFERED=1 \
    STATIC_ROOT=/app/staticfiles \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# --- Python packages, translations and static files. gettext is needed only here.
FROM base AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
# Dependencies before the code, so that a change of code does not reinstall them. pyproject.toml
# declares no package: installing its folder installs only the pinned dependencies, without dev extras.
COPY pyproject.toml constraints.txt /tmp/deps/
RUN python -m venv /opt/venv \
 && pip install -c /tmp/deps/constraints.txt /tmp/deps
WORKDIR /app
COPY . .
COPY --from=assets /src/static/vendor/ static/vendor/
# The settings create PORTAL_VAR_DIR on import: keep what build-time commands write out of /app.
ENV PORTAL_VAR_DIR=/build/var
RUN DJANGO_DEBUG=true python manage.py compilemessages -v0
# Collected with production settings, so that WhiteNoise's manifest of hashed, compressed files is
# built (with DJANGO_DEBUG=true the settings use plain storage). The key is thrown away with this
# line: it only lets the settings load. No database is needed.
RUN DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=build \
    DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(45))')" \
    python manage.py collectstatic --no-input -v0 \
 && python -m compileall -q /app

# --- The running portal.
FROM base
ENV PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_DEBUG=false \
    PORTAL_VAR_DIR=/app/var
# A home of its own, so that fontconfig has a writable cache.
RUN useradd --system --user-group --create-home --home-dir /home/portal --shell /usr/sbin/nologin portal
COPY --from=build /opt/venv /opt/venv
# The code and the static files (STATIC_ROOT, collected above) stay root's and read-only to the
# portal. It may write only to var/ (the volume; Docker copies this ownership into a new volume).
COPY --from=build /app /app
RUN mkdir -p /app/var && chown portal:portal /app/var
USER portal
WORKDIR /app
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "telesante.wsgi"]
