"""The demo issue against the real one it is modelled on."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

from issues.models import Issue


def seed_references(seed_text):
    """The seed's "本文参考资料" list as (title, url) pairs, in order."""
    tail = seed_text.split("本文参考资料", 1)[1].split("- END -", 1)[0]
    entries = re.findall(r"^\[(\d+)\]\s*\n\s*\n(.+?)$", tail, flags=re.MULTILINE)
    pairs = []
    for number, line in entries:
        title, _, url = line.rpartition(": http")
        pairs.append((int(number), title.strip(), "http" + url.strip()))
    assert [number for number, _, _ in pairs] == list(range(1, len(pairs) + 1))
    return [(title, url) for _, title, url in pairs]


@pytest.mark.django_db
class TestDemo:
    @pytest.fixture(autouse=True)
    def loaded(self, demo):
        self.output = demo

    def test_reference_list_equals_the_seed_entry_for_entry(self, client, seed_text):
        expected = seed_references(seed_text)
        assert len(expected) == 41
        soup = BeautifulSoup(client.get("/issues/2/").content, "html.parser")
        shown = [
            (li.select_one(".ref-title").get_text(), li.select_one(".ref-url")["href"])
            for li in soup.select("ol.references > li")
        ]
        assert shown == expected
        assert [li["id"] for li in soup.select("ol.references > li")] == [
            f"ref-{n}" for n in range(1, 42)
        ]

    def test_structure_matches_the_seed(self, client):
        issue = Issue.objects.get(number=2)
        counts = [section.items.count() for section in issue.sections.order_by("position")]
        assert counts == [6, 3, 3, 2, 5, 6, 0]
        soup = BeautifulSoup(client.get("/issues/2/").content, "html.parser")
        item_numbers = [h.select_one(".num").get_text() for h in soup.select("article.item h3")]
        assert len(item_numbers) == len(set(item_numbers)) == 25
        assert "1.6" in item_numbers
        toc = [a.get_text(" ", strip=True) for a in soup.select("nav.toc ol ol a")]
        headings = [h.get_text(" ", strip=True) for h in soup.select("article.item h3")]
        assert toc == [re.sub(r"\s*\[\d+\]", "", h) for h in headings]

    def test_accounts_are_printed_and_a_second_run_works(self, capsys):
        assert "editor / " in self.output and "moderator / " in self.output
        call_command("load_demo")
        assert Issue.objects.count() == 3
        password = capsys.readouterr().out.split("editor / ")[1].split()[0]
        from django.contrib.auth import get_user_model

        assert get_user_model().objects.get(username="editor").check_password(password)
