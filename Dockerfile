# The web, worker and beat images are one image run with different commands (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core fonts-liberation postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY . .
RUN useradd --create-home --uid 10001 attendance \
 && mkdir -p /app/var/private /app/staticfiles \
 && SECRET_KEY=build-only python manage.py collectstatic --noinput \
 && chown -R attendance /app/var
USER attendance

EXPOSE 8000
CMD ["gunicorn", "attendance_site.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
