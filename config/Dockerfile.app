# An application image that uses probe as its health check. Two lines matter, the COPY and
# the HEALTHCHECK; the rest is a stand-in application (Python's http.server answering
# GET /health on port 8000) so that config/compose.yaml has something to run. Put your own
# base image, application and CMD in its place.
#
# probe:latest is the production probe image: FROM scratch, the static binary at /probe.
# Build it first from the repository root (docker build -t probe:latest .), or replace the
# name with the reference you push it to, pinned to a version.

FROM python:3.12-slim

# One static file: it needs no libc, shell, curl or client library from this image, so the
# same line works in Alpine, distroless and scratch images. /usr/local/bin is on the default
# PATH, which is why the HEALTHCHECK below can say just "probe".
COPY --from=probe:latest /probe /usr/local/bin/probe

# The stand-in application: a Django-shaped layout without Django. manage.py only says what
# a real `migrate` would do; gunicorn serves a WSGI app answering GET /health. compose.yaml and
# the ECS task run it as `probe wait ... -- sh -c 'python manage.py migrate && exec gunicorn
# ...'`, which is how a Django entrypoint waits for its database and cache.
RUN pip install --no-cache-dir gunicorn==23.0.0 \
 && mkdir -p /srv/app/app \
 && printf 'print("stand-in manage.py: no migrations to apply")\n' >/srv/app/manage.py \
 && printf '' >/srv/app/app/__init__.py \
 && printf '%s\n' \
      'def application(environ, start_response):' \
      '    ok = environ.get("PATH_INFO") == "/health"' \
      '    start_response("200 OK" if ok else "404 Not Found", [("Content-Type", "text/plain")])' \
      '    return [b"ok\n" if ok else b"not found\n"]' >/srv/app/app/wsgi.py
WORKDIR /srv/app
USER 65534:65534
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app.wsgi"]

# Exec form (a JSON array) has no shell: Docker starts probe directly, so nothing expands
# "${DB_PASSWORD}" on the way and probe receives those characters literally. probe expands
# the reference itself, from its own environment (the container's, where DB_PASSWORD is set at
# run time by `docker run -e`, compose or ECS secrets). That is why `docker inspect` and
# `docker history` show only the reference, never the password, and why this works in images
# that have no shell at all. (The variable itself is part of the container's environment,
# which `docker inspect` does show when it was given with -e; a mounted secret file read with
# ${file:/run/secrets/db_password} keeps it out of there too: see config/compose.yaml.)
#
# Timeouts: `probe check --timeout 3s` is the deadline for all its checks together, and probe
# exits within 3.1 s whatever the peers do. Docker's --timeout (4s) must stay above it: if
# Docker's fires first, Docker kills probe and records only "Health check exceeded timeout"
# instead of probe's own line saying which check failed and in which phase.
#
# The db target makes the container unhealthy while the database is down. Docker and compose
# only report that, but ECS replaces a task whose essential container is unhealthy, so
# config/ecs-task-definition.json gives the app a health check of its own endpoint only.
HEALTHCHECK --interval=10s --timeout=4s --start-period=20s --retries=3 \
    CMD ["probe", "check", "--timeout", "3s", "app=http://127.0.0.1:8000/health", "db=mysql://app:${DB_PASSWORD}@db:3306/app"]
