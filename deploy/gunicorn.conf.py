"""gunicorn for Digest in production (`gunicorn -c deploy/gunicorn.conf.py digest.wsgi`)."""

import multiprocessing
import os

# Loopback unless told otherwise: nginx on this machine is the only way in, so nobody can
# reach gunicorn directly and write their own forwarded headers (docker-compose binds 0.0.0.0
# on its private network, where only the proxy container connects).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# The proxies whose X-Forwarded-Proto gunicorn believes: the same list as Django's.
forwarded_allow_ips = ",".join(
    proxy.strip()
    for proxy in os.environ.get("DIGEST_TRUSTED_PROXIES", "127.0.0.1,::1").split(",")
    if proxy.strip()
)
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
