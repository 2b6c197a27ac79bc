"""The message serialised once per send is, for each subscriber, the message built in full."""

import email
import email.policy

import pytest

from delivery.mail import PreparedIssueMail, issue_message, issue_message_parts
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://news.example.org"
    settings.DEFAULT_FROM_EMAIL = "Digest 简报 <digest@news.example.org>"
    settings.DIGEST_UNSUBSCRIBE_MAILTO = "leave@news.example.org"


@pytest.fixture
def parts():
    issue = make_issue(
        number=9,
        title="Nine: 预训练 [models](https://m.example/)",
        intro="A very long line " * 200 + "[x](https://x.example/?a=1&b=2#frag)",
        sections=[
            (
                "新闻",
                "",
                [("One", "See [a](https://a.example/x).\n\n| a | b |\n|---|---|\n| 1 | 2 |")],
            )
        ],
    )
    return issue_message_parts(issue=issue)


def _parsed(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def _leaves(message):
    return [
        (part.get_content_type(), part.get_content())
        for part in message.walk()
        if not part.is_multipart()
    ]


def test_the_prepared_bytes_are_the_full_message(parts):
    prepared = PreparedIssueMail(parts=parts, issue_number=9)
    assert prepared.usable
    fast = _parsed(prepared.for_subscriber(subscriber_id=4321, to="reader@example.org"))
    full_message = issue_message(
        parts=parts, issue_number=9, subscriber_id=4321, to="reader@example.org", connection=None
    )
    full = _parsed(full_message.message().as_bytes(linesep="\r\n"))
    names = {name.lower() for name in full} - {"content-type", "date"}
    assert names == {name.lower() for name in fast} - {"content-type", "date"}
    for name in names:
        assert " ".join(str(fast[name]).split()) == " ".join(str(full[name]).split()), name
    assert _leaves(fast) == _leaves(full)
    assert "4321" in fast["List-Unsubscribe"] and "mailto:leave@" in fast["List-Unsubscribe"]
    assert prepared.from_address == "=?utf-8?b?RGlnZXN0IOeugOaKpQ==?= <digest@news.example.org>"


def test_each_subscriber_gets_their_own_link_and_message_id(parts):
    prepared = PreparedIssueMail(parts=parts, issue_number=9)
    one = _parsed(prepared.for_subscriber(subscriber_id=1, to="one@example.org"))
    two = _parsed(prepared.for_subscriber(subscriber_id=2, to="two@example.org"))
    assert (one["To"], two["To"]) == ("one@example.org", "two@example.org")
    assert one["Message-ID"] != two["Message-ID"]
    one_html = dict(_leaves(one))["text/html"]
    one_link, two_link = (m["List-Unsubscribe"].split(">")[0].strip("<") for m in (one, two))
    assert one_link != two_link
    assert one_link in one_html and two_link not in one_html


def test_addresses_the_fast_way_cannot_write_exactly_are_built_in_full(parts):
    prepared = PreparedIssueMail(parts=parts, issue_number=9)
    assert prepared.for_subscriber(subscriber_id=1, to="读者@example.org") is None
    assert prepared.for_subscriber(subscriber_id=1, to="a@xn--fsq.example") is not None
