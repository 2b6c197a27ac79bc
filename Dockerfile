# Two images from one file: `web` (gunicorn, static files collected at build) and `proxy` (nginx
# with the repo's config and the same static files). Nothing a running container writes is
# needed by another: pages and uploads live on shared volumes, the cache in Redis.
FROM python:3.11-slim AS web
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
COPY digest digest
COPY issues issues
COPY delivery delivery
# The locked versions first (make lock), then the project itself without resolving again.
RUN pip install --no-cache-dir -r requirements.lock && pip install --no-cache-dir --no-deps .
COPY . .
# Collected once, into the image: every web container (and the proxy) has the same files.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput
RUN useradd --create-home digest && mkdir -p /srv/pages /srv/media \
    && chown -R digest /app /srv/pages /srv/media
USER digest
ENV DJANGO_STATIC_ROOT=/app/staticfiles DJANGO_MEDIA_ROOT=/srv/media DIGEST_PAGE_DIR=/srv/pages
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "digest.wsgi"]

FROM nginx:1.26-alpine AS proxy
COPY --from=web /app/staticfiles /srv/static
# The nginx image fills ${DIGEST_*} from the environment and includes the result in http {}.
COPY deploy/nginx/digest.conf.template /etc/nginx/templates/digest.conf.template
RUN rm -f /etc/nginx/conf.d/default.conf
