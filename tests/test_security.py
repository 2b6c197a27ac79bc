"""Security by default: the policy and headers on every page, and throttled logins."""

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


class TestHeaders:
    @pytest.mark.parametrize(
        "url", ["/", "/issues/2/", "/feed/", "/search/?q=x", "/report/?issue=2", "/admin/login/"]
    )
    def test_every_page_has_a_strict_policy_and_safe_headers(self, client, demo, url):
        response = client.get(url)
        assert response.status_code == 200
        directives = policy(response)
        for directive in ("script-src", "style-src"):
            assert directives[directive] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"

    def test_error_pages_carry_the_policy_too(self, client):
        response = client.get("/issues/9999/")
        assert response.status_code == 404
        assert policy(response)["script-src"] == ["'self'"]


class TestLoginThrottling:
    def login(self, client, username, password, ip="203.0.113.5", **headers):
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password},
            REMOTE_ADDR=ip,
            **headers,
        )

    def test_five_failures_lock_the_username_for_that_client(self, client):
        make_user("editor", staff=True, groups=["Editors"], password="right-password")
        make_user("other", staff=True, password="other-password")
        for _ in range(4):
            assert self.login(client, "editor", "wrong").status_code == 200
        assert self.login(client, "editor", "wrong").status_code == 429  # the fifth locks
        locked = self.login(client, "editor", "right-password")
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.content.decode()
        assert "_auth_user_id" not in client.session
        # Another client, or another username from the same client, is not locked out.
        assert self.login(client, "editor", "right-password", ip="198.51.100.7").status_code == 302
        client.logout()
        assert self.login(client, "other", "other-password").status_code == 302

    def test_behind_the_proxy_the_forwarded_client_is_the_one_locked(self, client):
        """127.0.0.1 is a trusted proxy (DIGEST_TRUSTED_PROXIES' default)."""
        make_user("editor", staff=True, password="right-password")
        for _ in range(5):
            self.login(client, "editor", "wrong", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")
        assert (
            self.login(
                client, "editor", "right-password", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1"
            ).status_code
            == 429
        )
        # The same proxy forwarding another reader: not locked.
        assert (
            self.login(
                client, "editor", "right-password", ip="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.2"
            ).status_code
            == 302
        )

    def test_a_direct_client_cannot_dodge_the_lock_with_forwarded_addresses(self, client):
        make_user("editor", staff=True, password="right-password")
        for n in range(5):
            self.login(client, "editor", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        locked = self.login(client, "editor", "right-password", HTTP_X_FORWARDED_FOR="192.0.2.99")
        assert locked.status_code == 429

    def test_an_ipv6_client_is_counted_by_its_64(self, client):
        """One IPv6 subscriber holds a whole /64 and may pick any address in it: failures from
        two addresses of one /64 add up; another /64 has its own count."""
        make_user("editor", staff=True, password="right-password")
        for n in range(5):
            self.login(client, "editor", "wrong", ip=f"2001:db8:1:2::{n + 1:x}")
        other_address = "2001:db8:1:2:ffff:ffff:ffff:ffff"
        assert self.login(client, "editor", "right-password", ip=other_address).status_code == 429
        other_network = "2001:db8:1:3::1"
        assert self.login(client, "editor", "right-password", ip=other_network).status_code == 302

    def test_failures_spread_over_two_64s_do_not_add_up(self, client):
        make_user("editor", staff=True, password="right-password")
        for n in range(4):
            self.login(client, "editor", "wrong", ip=f"2001:db8:1:{n % 2}::{n + 1:x}")
        assert (
            self.login(client, "editor", "right-password", ip="2001:db8:1:0::9").status_code == 302
        )


def test_nginx_page_files_carry_the_same_policy_as_django(client):
    """Pages nginx serves from disk must not lose the Content-Security-Policy."""
    import re
    from pathlib import Path

    template = (Path(__file__).parents[1] / "deploy/nginx/digest.conf.template").read_text()
    block = template.rsplit("location / {", 1)[1].split("location @django", 1)[0]
    header = re.search(r'add_header Content-Security-Policy "([^"]+)"', block).group(1)
    from_nginx = {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}
    assert from_nginx == policy(client.get("/report/thanks/"))


class TestLoginRedirect:
    @pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
    def test_a_refused_next_ends_on_the_admin_index(self, client, next_url):
        """Not on /accounts/profile/, a 404: Django's default LOGIN_REDIRECT_URL."""
        make_user("editor", staff=True, password="right-password")
        response = client.post(
            f"/admin/login/?next={next_url}",
            {"username": "editor", "password": "right-password"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        assert client.get(response["Location"]).status_code == 200


def test_nginx_serves_uploads_as_images_only_under_a_sandbox():
    """/media/ answers image extensions only, with a policy that lets nothing in them act."""
    import re
    from pathlib import Path

    template = (Path(__file__).parents[1] / "deploy/nginx/digest.conf.template").read_text()
    media = re.findall(r'location ~\*? "\^/media/(.*?)" \{(.*?)\n    \}', template, re.S)
    assert len(media) == 1
    pattern, block = media[0]
    assert pattern.endswith(r"\.(?:png|jpe?g|gif|webp))$")
    assert "Content-Security-Policy \"default-src 'none'; form-action 'none'; sandbox\"" in block
    assert "X-Content-Type-Options nosniff" in block
    assert "default_type application/octet-stream" in block
    prefix = template.split("location /media/ {", 1)[1].split("}", 1)[0]
    assert prefix.split() == ["return", "404;"]
