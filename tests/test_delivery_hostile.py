"""Hostile input at the subscribe form and in CSV imports."""

import csv
import io
import time

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse

from delivery.csv_io import subscribers_export_rows, subscribers_import
from delivery.models import Subscriber
from tests.hostile import dangers
from tests.test_hostile_input import corpus_payloads

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_limit(settings):
    settings.DIGEST_SUBSCRIBES_PER_HOUR = 1_000_000


def post(client, email):
    return client.post(reverse("delivery:subscribe"), {"email": email, "website": ""})


class TestSubscribeForm:
    @pytest.mark.parametrize(
        "address",
        [
            "a@example.org\r\nBcc: victim@example.org",
            "a@example.org\nSubject: hi",
            "a@example.org\r\n\r\nbody",
            "a@example.org%0d%0aBcc:x@example.org",
            "a\x00@example.org",
            "x" * 10_000 + "@example.org",
            "a@" + "b" * 10_000 + ".org",
            "x" * 64 + "@" + ("d" * 60 + ".") * 4 + "org",  # 300 characters, each part valid
            "pаypal@example.org",  # Cyrillic а in the local part
            "<script>alert(1)</script>@example.org",
            "",
            " ",
        ],
    )
    def test_refused_cleanly(self, client, address, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, address)
        assert response.status_code == 400
        assert not Subscriber.objects.exists()
        assert mail.outbox == []

    def test_surrounding_whitespace_is_trimmed(self, client):
        assert post(client, "\r\n a@example.org \r\n").status_code == 302
        assert Subscriber.objects.get().email == "a@example.org"

    def test_look_alike_domain_is_another_address(self, client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(client, "user@example.org").status_code == 302
            assert post(client, "user@exаmple.org").status_code == 302  # Cyrillic а
        keys = set(Subscriber.objects.values_list("email_key", flat=True))
        assert "user@example.org" in keys and len(keys) == 2
        assert any(key.startswith("user@xn--") for key in keys)  # punycode: visibly different
        for message in mail.outbox:  # headers stay ASCII and on one line
            assert "\n" not in message.to[0] and message.to[0].isascii()

    def test_xss_corpora(self, client, corpora):
        baseline = BeautifulSoup(post(client, "not an address").content, "html.parser")
        scripts = len(baseline.find_all("script"))
        for payload in corpus_payloads(corpora):
            response = post(client, payload)
            assert response.status_code in (302, 400), payload
            if response.status_code == 400:
                page = BeautifulSoup(response.content, "html.parser")
                assert len(page.find_all("script")) == scripts, payload
                errors = page.select_one(".form-errors")
                assert errors is None or dangers(str(errors)) == [], payload
        # Whatever was accepted is shown safely to editors.
        from tests.factories import make_user

        editor = make_user("editor", staff=True, groups=["Editors"])
        client.force_login(editor)
        listing = client.get(reverse("admin:delivery_subscriber_changelist") + "?all=")
        assert listing.status_code == 200
        rows = BeautifulSoup(listing.content, "html.parser").select("#result_list tbody")
        assert all(dangers(str(row)) == [] for row in rows)


class TestCSVImport:
    def test_columns_of_each_service(self):
        files = {
            "substack": "email,active_subscription,expiry,plan,email_disabled,created_at\n"
            "s1@example.org,true,,free,false,2024-01-01\n"
            "s2@example.org,true,,free,true,2024-01-01\n",
            "mailchimp": "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,UNSUB_TIME\n"
            "m1@example.org,Ann,Lee,2,2024-01-01 00:00:00,\n"
            "m2@example.org,Bo,Li,2,2024-01-01 00:00:00,2024-02-01 00:00:00\n",
            "buttondown": "id,email,creation_date,notes,subscriber_type,tags\n"
            "1,b1@example.org,2024-01-01,,regular,\n"
            "2,b2@example.org,2024-01-01,,unsubscribed,\n",
            "listmonk": "uuid,email,name,attributes,status,created_at,updated_at\n"
            'a,l1@example.org,L,"{}",enabled,2024-01-01,2024-01-01\n'
            'b,l2@example.org,L,"{}",blocklisted,2024-01-01,2024-01-01\n',
        }
        for name, text in files.items():
            report = subscribers_import(data=text.encode())
            assert report.created == 1, name
            assert [line for line, _reason in report.skipped] == [3], (name, report.skipped)
            assert "not an active subscriber" in report.skipped[0][1]
        assert Subscriber.objects.filter(status="confirmed").count() == 4
        assert mail.outbox == []  # imports never send

    def test_every_skipped_row_has_line_and_reason(self):
        data = (
            (
                b"email\n"
                b"ok@example.org\n"
                b"OK@EXAMPLE.ORG\n"  # the same address, other case
                b"not-an-address\n"
                b"\n"
                b"also@example.org\n"
            )
            + b"bad\xff\xfe@example.org\n"
            + b"x@exa\x00mple.org\n"
        )
        Subscriber.objects.create(email="also@example.org", email_key="also@example.org")
        report = subscribers_import(data=data)
        assert report.created == 2  # ok@, and x@example.org once the NUL is dropped
        reasons = dict(report.skipped)
        assert "earlier in the file" in reasons[3]
        assert "invalid address" in reasons[4]
        assert "already a subscriber" in reasons[6]
        assert "not UTF-8" in reasons[7]

    @pytest.mark.parametrize(
        "data",
        [
            "email\nu16@example.org\n".encode("utf-16"),
            "\ufeffemail\nbom@example.org\n".encode(),
            "Email Address\r\nlatin@example.org\r\nm\xfcller@example.org\r\n".encode("latin-1"),
        ],
    )
    def test_encodings(self, data):
        report = subscribers_import(data=data)
        assert report.created == 1

    def test_garbage(self):
        for data in (b"", b"\x00\x01\x02\xff" * 1000, b"no email column\nx\n", b'"unclosed\n'):
            report = subscribers_import(data=data)
            assert report.created == 0 and report.skipped

    def test_formula_cells_never_come_back_as_formulas(self):
        cells = ["=1+2@example.org", "+1@example.org", "-2@example.org", "@3@example.org"]
        data = ("email\n" + "\n".join(cells) + "\n=cmd|' /C calc'!A0\n").encode()
        report = subscribers_import(data=data)
        assert report.created == 3  # "@3@…" and the bare formula are not addresses
        exported = list(
            csv.reader(io.StringIO("".join(",".join(r) + "\n" for r in subscribers_export_rows())))
        )
        emails = [row[0] for row in exported[1:]]
        assert sorted(emails) == ["'+1@example.org", "'-2@example.org", "'=1+2@example.org"]
        for row in exported:
            assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)

    def test_hundred_thousand_rows(self):
        rows = "\n".join(f"reader{n}@example.com" for n in range(100_000))
        data = ("email\n" + rows + "\nreader5@example.com\n").encode()
        started = time.monotonic()
        report = subscribers_import(data=data)
        elapsed = time.monotonic() - started
        assert report.created == 100_000
        assert report.skipped == [(100_002, "the same address appears earlier in the file")]
        assert Subscriber.objects.count() == 100_000
        # A guard against quadratic work, not a benchmark: 10-25 s on an idle 2-CPU machine,
        # 86 s once under a load average of 15.
        assert elapsed < 300, f"{elapsed:.1f} s"
