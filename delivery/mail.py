"""The messages Digest sends: an issue made personal, and the confirmation of a subscription.

An issue is rendered once per send (`issue_message_parts`); each subscriber's message is those
parts with their own unsubscribe link put in (`issue_message`), nothing else differs.
"""

import hashlib
import re
from email.utils import parseaddr
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from issues.formats.exports import export_issue

# Stands for the subscriber's unsubscribe URL in the rendered parts; plain ASCII that neither
# HTML escaping nor the text export changes.
UNSUBSCRIBE_PLACEHOLDER = "DIGEST-UNSUBSCRIBE-URL-7f3c9a"
UNSUBSCRIBE_SALT = "delivery.unsubscribe"
CONFIRM_SALT = "delivery.confirm"


def unsubscribe_token(subscriber_id: int) -> str:
    """A signed, non-expiring token naming one subscriber (one click, no login)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscriber_id))


def unsubscribe_url(subscriber_id: int) -> str:
    path = reverse("delivery:unsubscribe", kwargs={"token": unsubscribe_token(subscriber_id)})
    return f"{settings.SITE_URL}{path}"


def confirm_token(subscriber) -> str:
    """A signed, expiring token for one subscriber and one address (TimestampSigner)."""
    key_hash = hashlib.sha256((subscriber.email_key or "").encode()).hexdigest()[:16]
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(f"{subscriber.pk}:{key_hash}")


def confirm_token_read(token: str, *, max_age) -> tuple[int, str] | None:
    """(subscriber id, key hash) of a valid, unexpired token; None otherwise."""
    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(token, max_age=max_age)
        pk, key_hash = value.split(":", 1)
        return int(pk), key_hash
    except (signing.BadSignature, ValueError):
        return None


def key_hash(email_key: str) -> str:
    return hashlib.sha256(email_key.encode()).hexdigest()[:16]


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(issue_number: int, subscriber_id: int) -> str:
    """The same Message-ID whenever this issue goes to this subscriber (retries included)."""
    digest = hashlib.sha256(
        f"{settings.SECRET_KEY}:{issue_number}:{subscriber_id}".encode()
    ).hexdigest()[:12]
    return f"<issue-{issue_number}.{subscriber_id}.{digest}@{_mail_domain()}>"


def issue_message_parts(*, issue) -> dict:
    """Subject, HTML and text of an issue's email, with the unsubscribe link left open."""
    html = export_issue(issue=issue, fmt="email")
    text = export_issue(issue=issue, fmt="text")
    with translation.override(issue.language):
        footer = render_to_string(
            "delivery/email/footer.html",
            {"unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER, "site_url": settings.SITE_URL},
        )
        text_footer = render_to_string(
            "delivery/email/footer.txt",
            {"unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER, "site_url": settings.SITE_URL},
        )
        style = render_to_string("delivery/email/style.css")
    html = html.replace("</head>", f"<style>{style}</style>\n</head>", 1)
    html = html.replace("</body>", f"{footer}\n</body>", 1)
    # Mail clients drop <style>: every rule goes into style attributes.
    html = css_inline.inline(html)
    # Inlined styles make lines longer than SMTP's 998 bytes, which forces quoted-printable
    # (slow to encode, per message): a line break inside a tag, before an attribute, changes
    # nothing in the document.
    html = re.sub(r' (style|href|src)="', lambda match: f'\n{match.group(1)}="', html)
    subject = " ".join(f"#{issue.number} {issue.plain_title or issue.title}".split())
    return {"subject": subject[:400], "html": html, "text": text.rstrip() + "\n\n" + text_footer}


def issue_message(*, parts: dict, issue_number: int, subscriber_id: int, to: str, connection):
    """One subscriber's message: the rendered parts with their unsubscribe link."""
    return _issue_email(
        parts=parts,
        to=to,
        unsubscribe=unsubscribe_url(subscriber_id),
        message_id=message_id(issue_number, subscriber_id),
        connection=connection,
    )


def _issue_email(*, parts, to, unsubscribe, message_id, connection):
    message = EmailMultiAlternatives(
        subject=parts["subject"],
        body=parts["text"].replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe),
        to=[to],
        connection=connection,
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": _list_unsubscribe(unsubscribe),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} <digest.{_mail_domain()}>",
        },
    )
    message.attach_alternative(
        parts["html"].replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe), "text/html"
    )
    return message


class PreparedIssueMail:
    """An issue's message serialised once; each subscriber's copy is bytes joined, not built.

    Building and encoding a 50 KB MIME message costs more than sending it, and only the address,
    the Message-ID and the unsubscribe link differ between subscribers: those are left as
    markers in the bytes and filled in per subscriber. `for_subscriber` answers None when the
    fast way cannot be exact (a non-ASCII address, a body the encoder split a marker in); the
    caller then builds the message the ordinary way.
    """

    _TO = "digest-recipient-7f3c9a@example.invalid"
    _MESSAGE_ID = "<digest-message-id-7f3c9a@example.invalid>"
    _MARKERS = re.compile(
        "(" + "|".join(re.escape(m) for m in (_TO, _MESSAGE_ID, UNSUBSCRIBE_PLACEHOLDER)) + ")"
    )

    def __init__(self, *, parts: dict, issue_number: int):
        self.issue_number = issue_number
        message = _issue_email(
            parts=parts,
            to=self._TO,
            unsubscribe=UNSUBSCRIBE_PLACEHOLDER,
            message_id=self._MESSAGE_ID,
            connection=None,
        )
        self.from_address = sanitize_address(
            message.from_email, message.encoding or settings.DEFAULT_CHARSET
        )
        data = message.message().as_bytes(linesep="\r\n").decode("utf-8", "surrogateescape")
        pieces = self._MARKERS.split(data)
        markers = pieces[1::2]
        # The address once, the Message-ID once, the link in the header, the text and the HTML:
        # anything else means a transfer encoding cut a marker, and the fast way is off.
        self.usable = (
            markers.count(self._TO) == 1
            and markers.count(self._MESSAGE_ID) == 1
            and markers.count(UNSUBSCRIBE_PLACEHOLDER) >= 3
        )
        self._pieces = pieces

    def for_subscriber(self, *, subscriber_id: int, to: str) -> bytes | None:
        """The message's bytes for one subscriber, or None where only a full build is exact."""
        if not self.usable or not to.isascii() or "\n" in to or "\r" in to:
            return None
        values = {
            self._TO: to,
            self._MESSAGE_ID: message_id(self.issue_number, subscriber_id),
            UNSUBSCRIBE_PLACEHOLDER: unsubscribe_url(subscriber_id),
        }
        pieces = self._pieces
        out = [pieces[0]]
        for index in range(1, len(pieces), 2):
            out.append(values[pieces[index]])
            out.append(pieces[index + 1])
        return "".join(out).encode("utf-8", "surrogateescape")


def _list_unsubscribe(url: str) -> str:
    mailto = settings.DIGEST_UNSUBSCRIBE_MAILTO
    return f"<{url}>, <mailto:{mailto}?subject=unsubscribe>" if mailto else f"<{url}>"


def confirmation_message(*, subscriber):
    """The double opt-in mail: a signed link that expires."""
    path = reverse("delivery:confirm", kwargs={"token": confirm_token(subscriber)})
    context = {
        "confirm_url": f"{settings.SITE_URL}{path}",
        "site_name": settings.SITE_NAME,
        "days": settings.DIGEST_CONFIRM_DAYS,
    }
    with translation.override(subscriber.language):
        subject = render_to_string("delivery/email/confirm_subject.txt", context).strip()
        body = render_to_string("delivery/email/confirm.txt", context)
    return EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=body, to=[subscriber.email]
    )
