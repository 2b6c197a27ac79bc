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
    url = unsubscribe_url(subscriber_id)
    message = EmailMultiAlternatives(
        subject=parts["subject"],
        body=parts["text"].replace(UNSUBSCRIBE_PLACEHOLDER, url),
        to=[to],
        connection=connection,
        headers={
            "Message-ID": message_id(issue_number, subscriber_id),
            "List-Unsubscribe": _list_unsubscribe(url),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} <digest.{_mail_domain()}>",
        },
    )
    message.attach_alternative(parts["html"].replace(UNSUBSCRIBE_PLACEHOLDER, url), "text/html")
    return message


def _list_unsubscribe(url: str) -> str:
    mailto = getattr(settings, "DIGEST_UNSUBSCRIBE_MAILTO", "")
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
