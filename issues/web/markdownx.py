"""The markdownx endpoints, for staff only: live preview, and uploads of real images."""

from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from markdownx.forms import ImageForm
from markdownx.views import ImageUploadView, MarkdownifyView
from PIL import Image, UnidentifiedImageError

from issues.text.markdown import TextRefused, render_markdown

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def staff_only(view):
    """403 for anyone who is not active staff: these endpoints serve the admin's editor."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            return JsonResponse({"error": _("Staff only.")}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


class VerifiedImageForm(ImageForm):
    """markdownx's upload form, plus a check with Pillow that the file really is an image."""

    def clean(self):
        upload = super().clean()
        try:
            with Image.open(upload) as image:
                image.verify()
                image_format = image.format
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise ValidationError(
                _("This file is not a readable image (JPEG, PNG, GIF or WebP)."), code="not_image"
            ) from error
        if image_format not in ALLOWED_IMAGE_FORMATS:
            raise ValidationError(
                _("Images must be JPEG, PNG, GIF or WebP; this one is %(format)s.")
                % {"format": image_format},
                code="format",
            )
        upload.seek(0)
        return upload


class VerifiedImageUploadView(ImageUploadView):
    form_class = VerifiedImageForm
    http_method_names = ["post"]  # a GET would have no template to render

    def form_invalid(self, form):
        return JsonResponse(form.errors, status=400)


class LimitedMarkdownifyView(MarkdownifyView):
    """The live preview, through the public rendering function and its limits: a text beyond
    them (size, nesting, time to read) is answered 400 with the reason, never a stalled worker."""

    def post(self, request, *args, **kwargs):
        try:
            rendered = render_markdown(request.POST.get("content", ""))
        except TextRefused as error:
            return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
        return HttpResponse(rendered)


markdownify = staff_only(LimitedMarkdownifyView.as_view())
upload_image = staff_only(VerifiedImageUploadView.as_view())
