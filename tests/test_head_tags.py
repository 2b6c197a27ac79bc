"""What link previews and search engines read from every issue page, read the way they do."""

import io

import extruct
import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

from issues.models import Issue
from issues.text.summary import first_sentence
from tests.factories import make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def head_of(client, issue):
    response = client.get(issue.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    url = f"http://testserver{issue.get_absolute_url()}"
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True)
    return BeautifulSoup(html, "html.parser"), data, url


def test_every_issue_has_its_own_head_tags(client, demo):
    issues = list(Issue.objects.published())
    assert len(issues) == 3
    descriptions = set()
    for issue in issues:
        soup, data, url = head_of(client, issue)
        title = issue.plain_title
        description = soup.select_one("meta[name=description]")["content"]
        descriptions.add(description)
        assert description == first_sentence(issue.intro)
        assert soup.select_one("link[rel=canonical]")["href"] == url
        (og,) = data["opengraph"]
        assert og["@type"] == "article"  # extruct names og:type so
        assert og["og:title"] == title and og["og:description"] == description
        assert og["og:url"] == url and og["og:site_name"] == "Digest"
        assert og["og:locale"] == {"en": "en_US", "zh-hans": "zh_CN"}[issue.language]
        assert og["article:published_time"] == issue.published_at.isoformat()
        twitter = {m["name"]: m["content"] for m in soup.select("meta[name^='twitter:']")}
        assert twitter == {
            "twitter:card": "summary",
            "twitter:title": title,
            "twitter:description": description,
        }
        (article,) = data["json-ld"]
        assert article["@type"] == "NewsArticle"
        assert article["headline"] == title and article["url"] == url
        assert article["inLanguage"] == {"en": "en", "zh-hans": "zh-Hans"}[issue.language]
        assert article["datePublished"] == issue.published_at.isoformat()
        references = [
            (li.select_one(".ref-title").get_text(), li.select_one(".ref-url")["href"])
            for li in soup.select("ol.references > li")
        ]
        assert [(c["name"], c["url"]) for c in article["citation"]] == references
    assert len(descriptions) == 3 and "A newsletter, every issue numbered" not in descriptions


def test_the_seed_issue_in_particular(client, demo):
    soup, data, _url = head_of(client, Issue.objects.get(number=2))
    assert soup.select_one("meta[name=description]")["content"] == "欢迎阅读 NLP 简报第二期！"
    citations = data["json-ld"][0]["citation"]
    assert len(citations) == 41
    assert citations[32] == {
        "@type": "CreativeWork",
        "name": "MLT的数学阅读课程",
        "url": "https://twitter.com/「MLT」",
    }


def test_json_ld_cannot_end_its_script_element(client):
    issue = make_issue(
        title="</script><script>alert(1)</script>",
        intro="An intro with </script> & <!-- in it.",
        sections=[("S", "", [("A", "[</script>](https://x.example/)")])],
    )
    soup, data, _url = head_of(client, issue)
    assert len(soup.select("script:not([src])")) == 1
    (article,) = data["json-ld"]
    assert article["headline"] == "</script><script>alert(1)</script>"


def test_previews_carry_no_sharing_tags(client):
    from tests.factories import make_user

    issue = make_issue(published=False, intro="Draft intro. More.")
    client.force_login(make_user("ed", staff=True, groups=["Editors"]))
    soup = BeautifulSoup(client.get(issue.get_absolute_url()).content, "html.parser")
    assert soup.select("link[rel=canonical], meta[property^='og:'], script:not([src])") == []


class TestFirstSentence:
    @pytest.mark.parametrize(
        ("intro", "expected"),
        [
            ("欢迎阅读第二期！本期的主角是 Reformer。", "欢迎阅读第二期！"),
            ("Welcome to **v1.4** of it, e.g. the [news](https://x.example). Then more.",
             "Welcome to v1.4 of it, e.g. the news."),
            ("No full stop at all", "No full stop at all"),
            ("", ""),
        ],
    )  # fmt: skip
    def test_sentences(self, intro, expected):
        assert first_sentence(intro) == expected

    def test_long_sentences_are_cut_at_a_word(self):
        sentence = first_sentence("word " * 100, limit=50)
        assert len(sentence) <= 50 and sentence.endswith("word…")


def test_the_description_leaves_citation_marks_out(client):
    issue = make_issue(intro="Read [the paper](https://x.example/) first. Then the rest.")
    soup, _data, _url = head_of(client, issue)
    assert soup.select_one("meta[name=description]")["content"] == "Read the paper first."
