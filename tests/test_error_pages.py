"""The server's own error pages (500, 503): styled from the stylesheet, which the CSP allows."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_no_inline_style_and_the_site_stylesheet(template):
    """`style-src 'self'` blocks `style=` and `<style>`: the page would render unstyled."""
    soup = BeautifulSoup(render_to_string(template), "html.parser")
    assert soup.find("style") is None
    assert [tag.name for tag in soup.find_all(style=True)] == []
    stylesheets = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    assert stylesheets == ["/static/css/digest.css"]
    assert finders.find("css/digest.css")
    assert soup.find("main", id="main") is not None
