"""The production stack run natively: a throwaway PostgreSQL, gunicorn and nginx, repo configs."""

import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "digest.conf.template"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


@contextlib.contextmanager
def fresh_postgres_database(url, *, prefix="digest"):
    """A new database on the PostgreSQL server `url` points to, dropped afterwards."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = {
        "host": parts.hostname, "port": parts.port or 5432, "user": parts.username,
        "password": parts.password, "dbname": parts.path.lstrip("/"), "autocommit": True,
    }  # fmt: skip
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url, *, headers=None, timeout=10):
    """(status, headers, body) of a GET; certificates unchecked (ours are self-signed)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _NoRedirect()
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_for(url, *, timeout=30, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with contextlib.suppress(OSError):
            return fetch(url, timeout=2)
        time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url}")


def render_nginx_template(values):
    """The repo's nginx template with its ${UPPER_CASE} placeholders filled, like envsubst."""
    text = NGINX_TEMPLATE.read_text()
    missing = set(re.findall(r"\$\{(DIGEST_[A-Z_]+)\}", text)) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    return re.sub(r"\$\{(DIGEST_[A-Z_]+)\}", lambda m: str(values[m.group(1)]), text)


def production_env(*, database_url, workdir, **extra):
    """The environment of a production process, as docker-compose gives it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DIGEST_", "DATABASE_URL", "CACHE_URL"))
    }
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="native-stack-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        DJANGO_STATIC_ROOT=str(Path(workdir) / "static"),
        DJANGO_MEDIA_ROOT=str(Path(workdir) / "media"),
        DIGEST_PAGE_DIR=str(Path(workdir) / "pages"),
        # nginx and gunicorn on loopback: DIGEST_TRUSTED_PROXIES' default (127.0.0.1, ::1).
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def manage(*args, env, check=True):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=check,
        capture_output=True,
        text=True,
    )


def self_signed_certificate(folder):
    cert, key = Path(folder) / "tls.crt", Path(folder) / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextlib.contextmanager
def gunicorn(*, env, port, workers=2, log=None):
    """gunicorn with the repo's config, on loopback; yields the process."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "digest.wsgi"],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process=process)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()


@contextlib.contextmanager
def nginx(*, workdir, upstream_port, static_root, media_root, page_dir, workers="auto"):
    """Debian's nginx with the repo's template; yields (http_port, https_port)."""
    workdir = Path(workdir)
    http_port, https_port = free_port(), free_port()
    cert, key = self_signed_certificate(workdir)
    site = render_nginx_template(
        {
            "DIGEST_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "DIGEST_HTTP_PORT": f"127.0.0.1:{http_port}",
            "DIGEST_HTTPS_PORT": https_port,
            "DIGEST_TLS_CERT": cert,
            "DIGEST_TLS_KEY": key,
            "DIGEST_STATIC_ROOT": static_root,
            "DIGEST_MEDIA_ROOT": media_root,
            "DIGEST_PAGE_DIR": page_dir,
            "DIGEST_ACCESS_LOG": workdir / "nginx-access.log",
        }
    )
    # The https server listens on the port alone; bind it to loopback here too.
    site = site.replace(f"listen {https_port} ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    (workdir / "digest.conf").write_text(site)
    temp = workdir / "nginx-temp"
    temp.mkdir(exist_ok=True)
    # The main file the nginx image (and Debian) provide around conf.d: here, minimal.
    main = f"""
worker_processes {workers};
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
daemon off;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    keepalive_requests 100000;
    include {workdir}/digest.conf;
}}
"""
    (workdir / "nginx.conf").write_text(main)
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    test = subprocess.run(
        [binary, "-t", "-c", str(workdir / "nginx.conf")], capture_output=True, text=True
    )
    if test.returncode:
        raise RuntimeError(f"nginx rejects the config:\n{test.stderr}")
    process = subprocess.Popen(
        [binary, "-c", str(workdir / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{http_port}/healthz", process=process)
        yield http_port, https_port
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own in a temporary folder, run as the postgres user."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        self.bin = bins[-1] if bins else None
        self.port = free_port()
        self.folder = None

    @classmethod
    def available(cls):
        """Why it can't run here, or None."""
        if os.geteuid() != 0:
            return "starting a PostgreSQL cluster needs root (to run it as the postgres user)"
        if cls().bin is None:
            return "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
        return None

    @property
    def url(self):
        return f"postgres://digest:digest@127.0.0.1:{self.port}/digest"

    def _run(self, *args, check=True):
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=check, capture_output=True, text=True
        )

    def __enter__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="digest-pg-"))
        shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self.start()
        self._run(
            str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-q", "-c", "CREATE ROLE digest LOGIN CREATEDB PASSWORD 'digest'",
            "-c", "CREATE DATABASE digest OWNER digest",
        )  # fmt: skip
        return self

    def start(self):
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder}"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"),
            "-l", str(self.folder / "log"), "-w", "-o", options, "start",
        )  # fmt: skip

    def stop(self):
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop",
            check=False,
        )  # fmt: skip

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
