"""gunicorn for Digest in production (`gunicorn -c deploy/gunicorn.conf.py digest.wsgi`)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Sync workers: nginx buffers slow clients, and pages are cached, so a worker is never idle long.
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak never becomes an outage.
max_requests = 5000
max_requests_jitter = 500
# Django writes one JSON line per request (digest.middleware); gunicorn's own would repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Heartbeat files on tmpfs: a container's overlay disk can stall them.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
