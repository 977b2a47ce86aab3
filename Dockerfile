# Production image of the platform (see docker-compose.yml). Not used by `make run` / `make test`.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin libgdal32 libgeos-c1v5 libproj25 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /app geo && mkdir -p /app/var && chown geo /app/var
USER geo
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py seed_demo --if-empty && python manage.py collectstatic --noinput -v0 && exec gunicorn geo.wsgi --bind 0.0.0.0:8000 --workers ${WORKERS:-3} --timeout 120 --access-logfile -"]
