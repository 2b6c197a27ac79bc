"""Who a request comes from: forwarded headers only from trusted proxies, IPv6 by /64."""

import runpy
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse

from issues.models import Item, Report
from issues.web.client import client_address, client_key
from tests.factories import make_issue

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def item(db):
    make_issue(number=5, sections=[("News", "", [("First", "x"), ("Second", "y")])])
    return Item.objects.get(title="Second")


def report(client, item, **extra):
    data = {"issue": 5, "item": "1.2", "reason": "spam", "note": ""}
    return client.post(reverse("issues:report"), data, **extra)


def address(remote, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


class TestClientAddress:
    def test_a_direct_client_is_its_peer_whatever_it_forwards(self):
        assert address("203.0.113.7", "192.0.2.1") == "203.0.113.7"
        assert address("203.0.113.7") == "203.0.113.7"

    def test_behind_a_trusted_proxy_the_hop_it_appended_is_the_client(self):
        assert address("127.0.0.1", "6.6.6.6, 192.0.2.10") == "192.0.2.10"
        assert address("::1", "2001:db8::5") == "2001:db8::5"
        assert address("127.0.0.1") == "127.0.0.1"  # nothing forwarded: the proxy itself

    def test_a_chain_of_trusted_proxies_is_walked_from_the_right(self, settings):
        settings.DIGEST_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
        assert address("127.0.0.1", "6.6.6.6, 192.0.2.10, 10.1.2.3") == "192.0.2.10"
        assert address("10.9.9.9", "192.0.2.10") == "192.0.2.10"
        assert address("192.0.2.99", "192.0.2.10") == "192.0.2.99"

    def test_no_trusted_proxy_trusts_no_header(self, settings):
        settings.DIGEST_TRUSTED_PROXIES = []
        assert address("127.0.0.1", "192.0.2.10") == "127.0.0.1"

    def test_ipv6_clients_are_keyed_by_their_64(self):
        assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
        assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
        assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
        assert client_key("192.0.2.1") == "192.0.2.1"
        assert client_key("::ffff:192.0.2.1") == "192.0.2.1"


@pytest.mark.django_db
class TestReports:
    def test_made_up_forwarded_addresses_do_not_hide_an_item(self, client, item, settings):
        """Three reports from one direct client with three X-Forwarded-For values hid an item."""
        settings.DIGEST_AUTO_HIDE_AFTER_REPORTS = 3
        for n in range(3):
            response = report(
                client, item, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
            )
            assert response.status_code == 302
        item.refresh_from_db()
        assert not item.is_removed
        assert Report.objects.values("client_hash").distinct().count() == 1

    def test_through_the_proxy_distinct_clients_still_count(self, client, item, settings):
        settings.DIGEST_AUTO_HIDE_AFTER_REPORTS = 3
        for n in range(3):
            report(client, item, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        item.refresh_from_db()
        assert item.is_removed

    def test_one_ipv6_64_is_one_client_for_limit_and_auto_hide(self, client, item, settings):
        settings.DIGEST_REPORTS_PER_HOUR = 2
        settings.DIGEST_AUTO_HIDE_AFTER_REPORTS = 2
        for host in ("1", "ffff:2", "3"):
            response = report(client, item, REMOTE_ADDR=f"2001:db8:1:2::{host}")
        assert response.status_code == 429
        item.refresh_from_db()
        assert not item.is_removed
        assert report(client, item, REMOTE_ADDR="2001:db8:1:3::1").status_code == 302
        item.refresh_from_db()
        assert item.is_removed


@pytest.mark.django_db
class TestForwardedProto:
    @pytest.fixture(autouse=True)
    def https_only(self, settings):
        settings.SECURE_SSL_REDIRECT = True

    def test_only_a_trusted_proxy_may_say_https(self, client):
        https = {"HTTP_X_FORWARDED_PROTO": "https"}
        assert client.get("/report/thanks/", REMOTE_ADDR="203.0.113.7", **https).status_code == 301
        assert client.get("/report/thanks/", REMOTE_ADDR="127.0.0.1", **https).status_code == 200


class TestGunicornConfig:
    def config(self, monkeypatch, **env):
        for name in ("GUNICORN_BIND", "DIGEST_TRUSTED_PROXIES"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))

    def test_binds_loopback_unless_told_otherwise(self, monkeypatch):
        config = self.config(monkeypatch)
        assert config["bind"] == "127.0.0.1:8000"
        assert config["forwarded_allow_ips"] == "127.0.0.1,::1"
        assert self.config(monkeypatch, GUNICORN_BIND="0.0.0.0:8000")["bind"] == "0.0.0.0:8000"

    def test_trusts_forwarded_headers_from_the_same_proxies_as_django(self, monkeypatch):
        config = self.config(monkeypatch, DIGEST_TRUSTED_PROXIES="172.30.0.0/24, ::1")
        assert config["forwarded_allow_ips"] == "172.30.0.0/24,::1"
        assert self.config(monkeypatch, DIGEST_TRUSTED_PROXIES="")["forwarded_allow_ips"] == ""


class TestSettings:
    @pytest.mark.parametrize("old", ["DIGEST_BEHIND_PROXY", "DJANGO_BEHIND_PROXY"])
    def test_the_old_proxy_switches_are_refused_by_name(self, old):
        """Two switches with different defaults became one list; an old one must not be ignored."""
        from tests.test_production import run_django

        result = run_django("", **{old: "true"})
        assert result.returncode != 0
        assert f"{old} is gone" in result.stderr and "DIGEST_TRUSTED_PROXIES" in result.stderr

    def test_a_proxy_that_is_not_an_address_is_refused(self):
        from tests.test_production import run_django

        result = run_django("", DIGEST_TRUSTED_PROXIES="127.0.0.1,nginx")
        assert result.returncode != 0
        assert "DIGEST_TRUSTED_PROXIES: 'nginx' is not an IP address or network" in result.stderr
