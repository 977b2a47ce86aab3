# Production image of the platform (see docker-compose.yml). Not used by `make run` / `make test`.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Build-time settings only; the keys generated under this throw-away var/ never reach the image.
RUN DATABASE_URL=postgres://build@localhost/build DJANGO_SECRET_KEY=build-only GEO_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput -v0 && rm -rf /tmp/build-var
# The platform runs as geo, which may write only var/ (a volume: uploads, rasters, a generated OIDC
# key), mode 700; the code and static files stay root's. Secrets created there are mode 600.
RUN useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin geo \
 && install -d -o geo -g geo -m 700 /app/var
USER geo
EXPOSE 8000
CMD ["sh", "-c", "umask 077 && GEO_REPLICA_URLS= python manage.py migrate --noinput && GEO_REPLICA_URLS= python manage.py seed_demo --if-empty && exec gunicorn geo.asgi:application --worker-class geo.asgi.Worker --bind 0.0.0.0:8000 --workers ${WORKERS:-3} --preload --timeout 120 --access-logfile -"]
