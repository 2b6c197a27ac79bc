"""Every URL of the site × every kind of visitor, built from the URL configuration itself.

A URL added without an expectation here fails `test_every_url_has_an_expectation`, so none can
be forgotten. Each cell checks the GET status, then a POST: a refused POST changes nothing.
"""

import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver
from reversion.models import Version

from delivery.models import Delivery, Send, Subscriber
from issues.models import Issue, Item, ModerationAction, Reference, Report, Section
from tests.factories import make_issue, make_user

ROLES = ("anonymous", "reader", "editor", "moderator", "superuser")
STAFF = ("editor", "moderator", "superuser")
LOGIN = "login"  # a redirect to the admin login page


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


ROUTES = sorted(set(walk(get_resolver().url_patterns)))

# What each role may do, as the Editors and Moderators groups promise (README).
EDITOR = {
    "issue": "vacd",
    "reference": "vcd",
    "subscriber": "vacd",
    "send": "v",
    "delivery": "v",
}  # view, add, change, delete
MODERATOR = {"issue": "v", "report": "v", "moderationaction": "v"}
NO_ADD = {
    "reference",
    "report",
    "moderationaction",
    "accessattempt",
    "accesslog",
    "accessfailurelog",
}
NO_CHANGE = {"report", "moderationaction"}  # read-only: view only, even for superusers
# Records nobody writes through the admin: sends and deliveries (the send pages steer them),
# django-tasks-db's task results.
READ_ONLY = {"send", "delivery", "dbtaskresult"}
SUPERUSER_ONLY_DELETE = {"report", "moderationaction"}


def model_allows(role, model, action):
    """Whether a role may `action` (v, a, c, d) on a model in the admin."""
    if role not in STAFF:
        return False
    if action == "a" and model in NO_ADD:
        return False
    if action in "acd" and model in READ_ONLY:
        return False
    if role == "superuser":
        return True
    grants = {"editor": EDITOR, "moderator": MODERATOR}[role].get(model, "")
    if action == "v":
        return "v" in grants or "c" in grants
    if model in NO_CHANGE and action == "c":
        return False
    if model in SUPERUSER_ONLY_DELETE and action == "d":
        return False
    return action in grants


def admin_model_view(role, model, view):
    """GET status of a standard admin view of a model."""
    if role not in STAFF:
        return LOGIN
    action = {"changelist": "v", "add": "a", "history": "v", "delete": "d", "change": "v"}[view]
    if view == "change" and model in (
        *READ_ONLY,
        "report",
        "moderationaction",
        "accessattempt",
        "accesslog",
        "accessfailurelog",
    ):
        action = "v"
    return 200 if model_allows(role, model, action) else 403


def publisher(role):
    return role in ("editor", "superuser")


def sender(role):
    """Who may send issues and read subscribers' addresses (delivery permissions)."""
    return role in ("editor", "superuser")


def expected(route, role):
    """(GET status, whether a POST is refused) for a route and a role."""
    staff = role in STAFF
    match = re.match(r"admin/(\w+)/(\w+)/(?:<path:object_id>/)?(\w+)?/?$", route)
    if (
        route.startswith("admin/")
        and role not in STAFF
        and route not in ("admin/login/", "admin/logout/")
    ):
        return LOGIN, True
    custom = {
        "admin/issues/issue/<path:object_id>/publish/": (405, not publisher(role)),
        "admin/issues/issue/<path:object_id>/draft/": (405, not publisher(role)),
        "admin/issues/issue/<path:object_id>/share/": (405, role == "moderator"),
        "admin/issues/issue/<path:object_id>/export/<str:fmt>/": (200, False),
        "admin/issues/issue/<path:object_id>/revisions/": (200, False),
        "admin/issues/issue/<path:object_id>/revisions/compare/": (302, False),
        # GET asks for confirmation (change permission); the POST restores.
        "admin/issues/issue/<path:object_id>/revisions/<int:version_id>/restore/": (
            403 if role == "moderator" else 200,
            role == "moderator",
        ),
        # An item's form, fetched when it is opened: GET only, for those who may change issues.
        "admin/issues/issue/<path:object_id>/items/": (403 if role == "moderator" else 200, True),
        # The item being typed, rendered with the issue: POST only, nothing saved.
        "admin/issues/issue/<path:object_id>/preview-item/": (405, role == "moderator"),
        "admin/issues/report/unpublish/": (405, role == "editor"),
        "admin/issues/report/republish/": (405, role == "editor"),
        "admin/issues/report/dismiss/": (405, role == "editor"),
        "admin/issues/report/all/": (200 if role != "editor" else 403, True),
        "admin/issues/report/": (200 if role != "editor" else 403, True),
        "admin/": (200, True),
        "admin/login/": (302 if staff else 200, True),
        "admin/logout/": (405 if staff else 302, False),
        "admin/password_change/": (200, False),
        "admin/password_change/done/": (200, False),
        "admin/autocomplete/": (403, True),
        "admin/jsi18n/": (200, True),
        "admin/r/<path:content_type_id>/<path:object_id>/": (302, True),
        "admin/auth/user/<id>/password/": (
            200 if role == "superuser" else 403,
            role != "superuser",
        ),
        "admin/delivery/send/<int:send_id>/control/": (405 if sender(role) else 403, True),
        "admin/delivery/send/<int:send_id>/progress.json": (200 if sender(role) else 403, True),
        "admin/delivery/send/<int:send_id>/progress/": (200 if sender(role) else 403, True),
        "admin/delivery/send/issue/<int:number>/": (200 if sender(role) else 403, True),
        "admin/delivery/subscriber/export/": (200 if sender(role) else 403, True),
        "admin/delivery/subscriber/import/": (200 if sender(role) else 403, True),
        # The issues app: all staff see it.
        "admin/^(?P<app_label>auth|axes|django_tasks_database|issues|delivery)/$": (200, True),
        "admin/(?P<url>.*)$": (404, True),
        "healthz": (200, True),
        "markdownx/markdownify/": (405 if staff else 403, not staff),
        "markdownx/upload/": (405 if staff else 403, not staff),
        "sitemap.xml": (200, True),
        "i18n/setlang/": (302, False),
        "": (200, True),
        "issues/<int:number>/": (200, True),
        "preview/<str:token>/": (200, True),
        "report/": (200, False),
        "report/thanks/": (200, True),
        "search/": (200, True),
        "feed/": (200, True),
        "feed/atom/": (200, True),
        "subscribe/": (200, True),
        "subscribe/thanks/": (200, True),
        "subscribe/confirm/<str:token>/": (200, True),
        "unsubscribe/<str:token>/": (400, True),  # the world's token is not a valid one
    }
    if route in custom:
        return custom[route]
    if match:
        _app, model, view = match.groups()
        if "<path:object_id>" in route and view is None:
            return 302, True  # the bare object URL redirects to its change page
        view = view or "changelist"
        status = admin_model_view(role, model, view)
        post_allowed = {
            "changelist": model_allows(role, model, "c"),
            "add": model_allows(role, model, "a"),
            "history": False,
            "delete": model_allows(role, model, "d"),
            "change": model_allows(role, model, "c"),
        }[view]
        return status, not post_allowed
    raise LookupError(route)


@pytest.fixture
def world(db, settings):
    """One of everything a URL can point at."""
    # As in production: django-tasks-db's admin reads tasks through the configured backend.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "delivery"],
        }
    }
    issue = make_issue(number=1, sections=[("S", "", [("A", "[a](https://a.example)")])])
    draft = make_issue(number=2, published=False)
    draft.share_token = "s" * 43
    draft.save()
    import reversion

    with reversion.create_revision():
        reversion.add_to_revision(issue)
    users = {
        "reader": make_user("reader"),
        "editor": make_user("editor", staff=True, groups=["Editors"]),
        "moderator": make_user("moderator", staff=True, groups=["Moderators"]),
        "superuser": make_user("root", superuser=True),
    }
    report = Report.objects.create(issue=issue, reason="spam", client_hash="h")
    action = ModerationAction.objects.create(
        action="dismiss_reports", issue=issue, target="t", status_before="p", status_after="p"
    )
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from delivery.models import Delivery, Send, Subscriber

    subscriber = Subscriber.objects.create(
        email="Reader@example.org", email_key="reader@example.org", status="confirmed"
    )
    send = Send.objects.create(issue=issue, subject="s", html="", text="", total=1)
    delivery = Delivery.objects.create(send=send, subscriber=subscriber, run_after=timezone.now())
    task_result = DBTaskResult.objects.create(
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="issues.tasks.notify_moderators",
        backend_name="default",
        run_after=timezone.now(),
    )

    objects = {
        "issue": issue.pk,
        "reference": Reference.objects.get().pk,
        "subscriber": subscriber.pk,
        "send": send.pk,
        "delivery": delivery.pk,
        "dbtaskresult": task_result.pk,
        "report": report.pk,
        "moderationaction": action.pk,
        "user": users["reader"].pk,
        "group": Group.objects.get(name="Editors").pk,
        "accessattempt": AccessAttempt.objects.create(
            username="x", ip_address="127.0.0.1", user_agent="t", failures_since_start=1
        ).pk,
        "accesslog": AccessLog.objects.create(
            username="x", ip_address="127.0.0.1", user_agent="t"
        ).pk,
        "accessfailurelog": AccessFailureLog.objects.create(
            username="x", ip_address="127.0.0.1", user_agent="t"
        ).pk,
    }
    return {
        "issue": issue,
        "users": users,
        "objects": objects,
        "version": Version.objects.get_for_object(issue).first().pk,
    }


def concrete(route, world):
    """A real URL for a route, pointing at objects that exist."""
    objects = world["objects"]
    model = re.match(r"admin/\w+/(\w+)/", route)
    from django.contrib.contenttypes.models import ContentType

    values = {
        "<path:object_id>": str(objects.get(model.group(1)) if model else objects["issue"]),
        "<id>": str(objects["user"]),
        "<str:fmt>": "text",
        "<int:version_id>": str(world["version"]),
        "<int:number>": "1",
        "<int:send_id>": str(objects["send"]),
        "<str:token>": "s" * 43,
        "<path:content_type_id>": str(ContentType.objects.get_for_model(Issue).pk),
    }
    url = route
    if route.startswith("admin/r/"):
        url = url.replace("<path:object_id>", str(objects["issue"]))
    for placeholder, value in values.items():
        url = url.replace(placeholder, value, 1)
    url = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "issues/", url)
    url = url.replace("(?P<url>.*)$", "no/such/page/")
    query = {"report/": "?issue=1&item=1.1", "search/": "?q=A", "i18n/setlang/": ""}.get(route, "")
    return "/" + url + query


def snapshot():
    """A fingerprint of everything a refused request must leave untouched."""
    rows = [
        list(
            Issue.objects.values_list(
                "number", "title", "published_at", "withdrawn_at", "share_token", "edit_version"
            )
        ),
        list(Section.objects.values_list("pk", "title", "position")),
        list(Item.objects.values_list("pk", "title", "body", "position", "removed_at")),
        list(Reference.objects.values_list("pk", "title")),
        list(Report.objects.values_list("pk", "status")),
        list(ModerationAction.objects.values_list("pk")),
        list(Group.objects.order_by("pk").values_list("name")),
        sorted(Group.permissions.through.objects.values_list("group_id", "permission_id")),
        list(
            get_user_model()
            .objects.order_by("pk")
            .values_list("username", "password", "email", "is_staff", "is_superuser", "is_active")
        ),
        sorted(get_user_model().groups.through.objects.values_list("user_id", "group_id")),
        sorted(
            get_user_model().user_permissions.through.objects.values_list(
                "user_id", "permission_id"
            )
        ),
        sorted(Version.objects.values_list("pk", flat=True)),
        list(Subscriber.objects.values_list("pk", "email", "email_key", "status")),
        list(Send.objects.values_list("pk", "state")),
        list(Delivery.objects.values_list("pk", "status")),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


HOSTILE_POST = {
    "title": "Changed",
    "number": "1",
    "language": "en",
    "action": "unpublish",
    "reason": "because",
    "issue": "1",
    "item": "",
    "post": "yes",
    "content": "x",
    "name": "Changed",
    "username": "intruder",
    "password1": "Very-long-password-123",
    "password2": "Very-long-password-123",
}


def test_every_url_has_an_expectation():
    missing = []
    for route in ROUTES:
        try:
            expected(route, "editor")
        except LookupError:
            missing.append(route)
    assert missing == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES)
def test_cell(client, world, route, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    get_status, post_refused = expected(route, role)
    url = concrete(route, world)
    response = client.get(url)
    if get_status == LOGIN:
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    else:
        assert response.status_code == get_status, url
    before = snapshot()
    response = client.post(url, HOSTILE_POST)
    assert response.status_code < 500, url
    if post_refused:
        assert response.status_code in (200, 204, 302, 400, 403, 404, 405, 410), url
        assert snapshot() == before, f"{role} changed data through {url}"
