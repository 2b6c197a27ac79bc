"""The markdownx endpoints: staff only, the public rendering path, real images only."""

import io

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from issues.text.markdown import render_markdown
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SOURCE = "Hi [x](https://x.example) <script>alert(1)</script>"


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


class TestMarkdownify:
    def test_anonymous_and_non_staff_are_refused(self, client):
        assert client.post("/markdownx/markdownify/", {"content": SOURCE}).status_code == 403
        client.force_login(make_user("reader"))
        assert client.post("/markdownx/markdownify/", {"content": SOURCE}).status_code == 403

    def test_staff_get_the_public_rendering(self, client):
        client.force_login(make_user("editor", staff=True, groups=["Editors"]))
        response = client.post("/markdownx/markdownify/", {"content": SOURCE})
        assert response.status_code == 200
        assert response.content.decode() == render_markdown(SOURCE)
        assert BeautifulSoup(response.content, "html.parser").find("script") is None


class TestUpload:
    def upload(self, client, content, name="a.png", content_type="image/png"):
        return client.post(
            "/markdownx/upload/",
            {"image": SimpleUploadedFile(name, content, content_type=content_type)},
            headers={"x-requested-with": "XMLHttpRequest"},
        )

    def test_anonymous_cannot_upload(self, client, media):
        assert self.upload(client, png_bytes()).status_code == 403
        assert not any(media.rglob("*.png"))

    def test_real_image_is_stored_under_a_random_name(self, client, media):
        client.force_login(make_user("editor", staff=True, groups=["Editors"]))
        response = self.upload(client, png_bytes(), name="my-holiday.png")
        assert response.status_code == 200, response.content
        stored = [p.name for p in media.rglob("*.png")]
        assert len(stored) == 1 and "holiday" not in stored[0]
        assert stored[0] in response.json()["image_code"]

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b"<script>alert(1)</script>", "image/png"),
            (b"GIF89a<svg onload=alert(1)>", "image/gif"),
            (b"%PDF-1.4 not an image", "image/jpeg"),
        ],
    )
    def test_fake_images_are_refused_with_a_reason(self, client, media, content, content_type):
        client.force_login(make_user("editor", staff=True, groups=["Editors"]))
        response = self.upload(client, content, content_type=content_type)
        assert response.status_code == 400
        assert "not a readable image" in response.content.decode()
        assert not any(p.is_file() for p in media.rglob("*"))

    def test_oversized_and_wrong_types_are_refused(self, client, media, settings):
        client.force_login(make_user("editor", staff=True, groups=["Editors"]))
        assert (
            self.upload(client, b"x", name="a.svg", content_type="image/svg+xml").status_code == 400
        )
        big = b"\x89PNG" + b"0" * (3 * 1024 * 1024)
        assert self.upload(client, big).status_code == 400
