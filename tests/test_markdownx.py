"""The markdownx endpoints: staff only, the public rendering path, real images only."""

import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from issues.text.markdown import render_markdown
from tests.factories import make_user

pytestmark = pytest.mark.django_db

UPLOADS = Path(__file__).parent / "inputs" / "uploads"
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

    def test_a_polyglot_named_html_is_stored_as_the_gif_it_starts_with(self, client, media):
        """A real GIF followed by an HTML page, uploaded as login.html (issue 14, item 3)."""
        client.force_login(make_user("editor", staff=True, groups=["Editors"]))
        polyglot = (UPLOADS / "polyglot-login.html").read_bytes()
        assert b"<form" in polyglot
        response = self.upload(client, polyglot, name="login.html", content_type="image/gif")
        assert response.status_code == 200, response.content
        [stored] = [p for p in media.rglob("*") if p.is_file()]
        assert stored.suffix == ".gif"
        assert f"/media/markdownx/{stored.name}" in response.json()["image_code"]
        content = stored.read_bytes()
        for marker in (b"<html", b"<form", b"<meta", b"<script", b"phish"):
            assert marker not in content.lower()
        with Image.open(stored) as image:
            assert (image.format, image.size) == ("GIF", (8, 8))

    @pytest.mark.parametrize(
        ("name", "content_type"), [("photo.html", "image/png"), ("photo.gif", "image/gif")]
    )
    def test_the_stored_name_follows_the_image_not_the_client(
        self, client, media, name, content_type
    ):
        client.force_login(make_user("editor", staff=True, groups=["Editors"]))
        response = self.upload(
            client, png_bytes() + b"trailing", name=name, content_type=content_type
        )
        assert response.status_code == 200, response.content
        [stored] = [p for p in media.rglob("*") if p.is_file()]
        assert stored.suffix == ".png"
        assert not stored.read_bytes().endswith(b"trailing")

    @pytest.mark.parametrize("name", ["bomb-20000x20000.png", "bomb-10000x10000.png"])
    def test_a_decompression_bomb_is_refused_with_the_reason(self, client, media, name):
        """Pillow's DecompressionBombError (and its warning, below twice the limit) was a 500."""
        client.force_login(make_user("editor", staff=True, groups=["Editors"]))
        response = self.upload(client, (UPLOADS / name).read_bytes(), name=name)
        assert response.status_code == 400
        assert "too many pixels" in response.json()["__all__"][0]
        assert not any(p.is_file() for p in media.rglob("*"))
