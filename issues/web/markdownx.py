"""The markdownx endpoints, for staff only: live preview, and uploads of real images."""

import io
import warnings
from functools import wraps
from pathlib import PurePosixPath
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from markdownx.forms import ImageForm
from markdownx.settings import MARKDOWNX_IMAGE_MAX_SIZE
from markdownx.views import ImageUploadView, MarkdownifyView
from PIL import Image, ImageOps, UnidentifiedImageError

from issues.text.markdown import TextRefused, render_markdown

# The format Pillow finds in the file, and the one extension a stored upload then gets: the
# client's file name and content type are never used (nginx serves /media/ by extension).
STORED_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
ALLOWED_IMAGE_FORMATS = set(STORED_EXTENSIONS)


def staff_only(view):
    """403 for anyone who is not active staff: these endpoints serve the admin's editor."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            return JsonResponse({"error": _("Staff only.")}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _too_many_pixels():
    return ValidationError(
        _(
            "This image has too many pixels to be processed safely (the limit is %(limit)s "
            "million): scale it down before uploading."
        )
        % {"limit": Image.MAX_IMAGE_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def reencode(upload):
    """The upload decoded and written again by Pillow, with its format.

    Only pixels survive: whatever followed or was hidden in the original file (an HTML page
    after a GIF, metadata) is not in the result. Raises ValidationError with the reason.
    """
    try:
        # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that; both are refusals
        # here (a 20,000 × 20,000 PNG of a few KB would take gigabytes to decode).
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image.verify()
            upload.seek(0)
            with Image.open(upload) as image:
                image_format = image.format
                if image_format not in ALLOWED_IMAGE_FORMATS:
                    raise ValidationError(
                        _("Images must be JPEG, PNG, GIF or WebP; this one is %(format)s.")
                        % {"format": image_format},
                        code="format",
                    )
                output = io.BytesIO()
                if image_format == "GIF":
                    # Animations are kept, at their size (markdownx never resized GIFs either).
                    image.save(output, format="GIF", save_all=True)
                else:
                    image.load()
                    picture = ImageOps.exif_transpose(image)
                    picture.thumbnail(MARKDOWNX_IMAGE_MAX_SIZE["size"])
                    options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
                    picture.save(output, format=image_format, **options)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(
            _("This file is not a readable image (JPEG, PNG, GIF or WebP)."), code="not_image"
        ) from error
    return image_format, output.getvalue()


class VerifiedImageForm(ImageForm):
    """markdownx's upload form, but the image is checked, re-encoded and named by Pillow."""

    def clean(self):
        upload = super().clean()
        self.image_format, self.image_bytes = reencode(upload)
        return upload

    def save(self, commit=True):
        name = f"{uuid4()}.{STORED_EXTENSIONS[self.image_format]}"
        path = str(PurePosixPath(settings.MARKDOWNX_MEDIA_PATH) / name)
        stored = default_storage.save(path, ContentFile(self.image_bytes))
        return default_storage.url(stored)


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
