"""Editors' side: subscribers (search, filters, import, export, erase), sends and deliveries."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views import View

from issues.models import Issue

from .addresses import InvalidAddress, address_normalise
from .csv_io import csv_lines, subscribers_export_rows, subscribers_import
from .forms import ImportForm
from .models import Delivery, Send, Subscriber
from .selectors import send_progress, subscribers_confirmed_count
from .services import (
    SendRefused,
    send_cancel,
    send_check,
    send_create,
    send_pause,
    send_resume,
    send_test,
    subscriber_erase,
)


class SubscriberForm(forms.ModelForm):
    class Meta:
        model = Subscriber
        fields = ("email", "status", "language", "source")

    def clean_email(self):
        try:
            stored, key = address_normalise(self.cleaned_data["email"])
        except InvalidAddress as error:
            message = _("Not a valid address: %(reason)s") % {"reason": error}
            raise forms.ValidationError(message) from None
        clash = Subscriber.objects.filter(email_key=key).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This address is already a subscriber."))
        self.instance.email_key = key
        return stored


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    form = SubscriberForm
    list_display = ("__str__", "status", "source", "created_at", "confirmed_at")
    list_filter = ("status", "source", "is_erased")
    search_fields = ("email_key",)
    readonly_fields = ("created_at", "confirmed_at", "unsubscribed_at", "is_erased")
    # At 100,000+ subscribers the changelist must not count the whole table on every page.
    show_full_result_count = False
    list_per_page = 100
    actions = ("erase_selected", "export_selected")
    change_list_template = "admin/delivery/subscriber/change_list.html"

    def get_search_results(self, request, queryset, search_term):
        # Keys are stored in lower case: search them in lower case.
        return super().get_search_results(request, queryset, search_term.strip().lower())

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deliveries keep their subscriber: erase instead
        if not request.user.has_perm("delivery.export_subscriber"):
            actions.pop("export_selected", None)
        return actions

    @admin.action(description=_("Erase the selected addresses (delivery counts are kept)"))
    def erase_selected(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        erased = subscriber_erase(subscriber_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(n)s addresses erased.") % {"n": erased})

    @admin.action(description=_("Export the selected subscribers as CSV"))
    def export_selected(self, request, queryset):
        if not request.user.has_perm("delivery.export_subscriber"):
            raise PermissionDenied
        return _csv_response(subscribers_export_rows(queryset.filter(is_erased=False)))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "import/", wrap(ImportView.as_view(admin=self)), name="delivery_subscriber_import"
            ),
            path("export/", wrap(ExportView.as_view()), name="delivery_subscriber_export"),
            *super().get_urls(),
        ]


def _csv_response(rows):
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
    return response


class ExportView(View):
    """Every subscriber (not erased) as CSV, streamed."""

    http_method_names = ["get"]

    def get(self, request):
        if not request.user.has_perm("delivery.export_subscriber"):
            raise PermissionDenied
        return _csv_response(subscribers_export_rows())


class ImportView(View):
    """Upload another service's export; the page lists every skipped line and why."""

    http_method_names = ["get", "post"]
    admin = None
    template = "admin/delivery/subscriber/import.html"

    def _allowed(self, request):
        user = request.user
        return user.has_perm("delivery.add_subscriber") and user.has_perm(
            "delivery.export_subscriber"
        )

    def _render(self, request, form, report=None):
        context = {
            **self.admin.admin_site.each_context(request),
            "opts": Subscriber._meta,
            "title": _("Import subscribers"),
            "form": form,
            "report": report,
            "skipped_shown": report.skipped[:1000] if report else [],
        }
        return TemplateResponse(request, self.template, context)

    def get(self, request):
        if not self._allowed(request):
            raise PermissionDenied
        return self._render(request, ImportForm())

    def post(self, request):
        if not self._allowed(request):
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form)
        report = subscribers_import(data=form.cleaned_data["file"].read())
        return self._render(request, ImportForm(), report)


@admin.register(Send)
class SendAdmin(admin.ModelAdmin):
    list_display = ("issue", "state", "total", "created_at", "created_by", "progress_link")
    list_filter = ("state",)
    list_select_related = ("issue", "created_by")
    show_full_result_count = False
    fields = ("issue", "state", "total", "created_by", "created_at", "finished_at", "subject")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress"))
    def progress_link(self, send):
        url = reverse("admin:delivery_send_progress", args=[send.pk])
        return format_html('<a href="{}">{}</a>', url, _("Progress"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "issue/<int:number>/",
                wrap(SendIssueView.as_view(admin=self)),
                name="delivery_send_issue",
            ),
            path(
                "<int:send_id>/progress/",
                wrap(SendProgressView.as_view(admin=self)),
                name="delivery_send_progress",
            ),
            path(
                "<int:send_id>/progress.json",
                wrap(SendProgressJSONView.as_view()),
                name="delivery_send_progress_json",
            ),
            path(
                "<int:send_id>/control/",
                wrap(SendControlView.as_view()),
                name="delivery_send_control",
            ),
            *super().get_urls(),
        ]


class SendPermissionMixin:
    """Only users who may send issues (the Editors group, superusers)."""

    permission = "delivery.send_issue"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SendIssueView(SendPermissionMixin, View):
    """A published issue: send a test to yourself, then send to N behind a confirmation."""

    http_method_names = ["get", "post"]
    admin = None

    def _context(self, request, issue, **extra):
        return {
            **self.admin.admin_site.each_context(request),
            "opts": Send._meta,
            "title": _("Send issue #%(number)s") % {"number": issue.number},
            "issue": issue,
            "recipients": subscribers_confirmed_count(),
            "existing": Send.objects.filter(issue=issue).first(),
            **extra,
        }

    def get(self, request, number):
        issue = get_object_or_404(Issue, number=number)
        refusal = None
        try:
            send_check(issue=issue)
        except SendRefused as error:
            refusal = str(error)
        return TemplateResponse(
            request,
            "admin/delivery/send/issue.html",
            self._context(request, issue, refusal=refusal),
        )

    def post(self, request, number):
        issue = get_object_or_404(Issue, number=number)
        action = request.POST.get("action")
        if action == "test":
            if not request.user.email:
                messages.error(request, _("Your account has no email address to send a test to."))
            else:
                try:
                    send_check(issue=issue)
                    send_test(issue=issue, to=request.user.email)
                    messages.success(
                        request, _("A test is on its way to %(to)s.") % {"to": request.user.email}
                    )
                except (SendRefused, InvalidAddress) as error:
                    messages.error(request, str(error))
            return redirect("admin:delivery_send_issue", number=number)
        if action == "confirm":
            return TemplateResponse(
                request, "admin/delivery/send/confirm.html", self._context(request, issue)
            )
        if action == "send":
            try:
                send = send_create(issue=issue, user=request.user)
            except SendRefused as error:
                messages.error(request, str(error))
                return redirect("admin:delivery_send_issue", number=number)
            return redirect("admin:delivery_send_progress", send_id=send.pk)
        return redirect("admin:delivery_send_issue", number=number)


class SendProgressView(SendPermissionMixin, View):
    """Live progress of a send (polled by static JS), with Pause / Resume / Cancel."""

    permission = "delivery.view_send"
    http_method_names = ["get"]
    admin = None

    def get(self, request, send_id):
        send = get_object_or_404(Send.objects.select_related("issue", "created_by"), pk=send_id)
        context = {
            **self.admin.admin_site.each_context(request),
            "opts": Send._meta,
            "title": _("Sending issue #%(number)s") % {"number": send.issue.number},
            "send": send,
            "progress": send_progress(send=send),
            "can_control": request.user.has_perm("delivery.send_issue"),
            "deliveries_url": reverse("admin:delivery_delivery_changelist")
            + f"?send__id__exact={send.pk}",
        }
        return TemplateResponse(request, "admin/delivery/send/progress.html", context)


class SendProgressJSONView(SendPermissionMixin, View):
    permission = "delivery.view_send"
    http_method_names = ["get"]

    def get(self, request, send_id):
        send = get_object_or_404(Send, pk=send_id)
        response = JsonResponse(send_progress(send=send))
        response["Cache-Control"] = "no-store"
        return response


class SendControlView(SendPermissionMixin, View):
    http_method_names = ["post"]

    def post(self, request, send_id):
        send = get_object_or_404(Send, pk=send_id)
        action = {"pause": send_pause, "resume": send_resume, "cancel": send_cancel}.get(
            request.POST.get("action")
        )
        if action is None:
            raise Http404("No such action.")
        if not action(send=send):
            messages.warning(request, _("Nothing changed: the send is %(s)s.") % {"s": send.state})
        return redirect("admin:delivery_send_progress", send_id=send.pk)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("subscriber", "issue_number", "status", "attempts", "sent_at", "error")
    list_filter = ("status", "send")
    list_select_related = ("subscriber", "send__issue")
    search_fields = ("subscriber__email_key",)
    show_full_result_count = False
    list_per_page = 100
    fields = ("send", "subscriber", "status", "attempts", "run_after", "sent_at", "error")
    readonly_fields = fields

    @admin.display(description=_("issue"), ordering="send__issue__number")
    def issue_number(self, delivery):
        return f"#{delivery.send.issue.number}"

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term.strip().lower())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
