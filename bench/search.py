"""Search latency with 300,000 items on PostgreSQL (issue 14): part of `make bench`.

`BENCH_ONLY=search make bench` runs this part alone (no wrk or nginx needed) and replaces the
search section of RESULTS.md. Builds 1,000 published issues of 20 sections × 15 items (a tenth
in Chinese) from a seeded vocabulary with a Zipf-like spread, so that words range from in most
items to in a few, then times GET /search/?q=… in process (Django's test client: the view, the
queries and the template, no network) for a fixed set of queries.
"""

import json

BUILD = r"""
import datetime, itertools, json, random
from django.db import transaction
from django.utils import timezone
from issues.models import Issue, Section, Item

ISSUES, SECTIONS, ITEMS = %(issues)d, 20, 15
rng = random.Random(14)
topical = ("model transformer attention dataset benchmark training inference language vision "
    "agent reasoning retrieval embedding tokenizer evaluation alignment reinforcement learning "
    "diffusion image speech translation summarization paper code release open weights scaling "
    "compute efficient sparse mixture experts memory context window latency quantization "
    "distillation fine-tuning instruction preference feedback safety robustness multilingual "
    "chinese english corpus annotation synthetic generation graph knowledge search ranking").split()
letters = "abcdefghijklmnopqrstuvwxyz"
filler = {"".join(rng.choice(letters) for _ in range(rng.randint(5, 9))) for _ in range(5000)}
vocabulary = topical + sorted(filler - set(topical))[: 5000 - len(topical)]
# Cumulative, computed once: random.choices would add up 5,000 weights on every call.
weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))
chinese = ("预训练 语言 模型 数据集 评测 推理 检索 向量 注意力 机制 开源 权重 论文 代码 "
    "发布 多语言 翻译 摘要 生成 图像 语音 强化 学习 对齐 安全 压缩 蒸馏 量化 上下文 窗口 "
    "专家 混合 稀疏 知识 图谱 排序 搜索 标注 合成 指令 偏好 反馈 鲁棒性 效率 规模 计算 简报 "
    "出版物 工具").split()
zh_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(chinese))))

def english(n):
    return " ".join(rng.choices(vocabulary, cum_weights=weights, k=n))

def zh(n):
    return "".join(rng.choices(chinese, cum_weights=zh_weights, k=n)) + "。"

# The texts are words without markup, so what search reads of them (search_title, search_text,
# written by services.issue_render at save) is the text itself: set here, as bulk_create does
# not render.
def issue(n):
    title, intro = (zh(4), zh(20)) if n %% 10 == 0 else (english(5), english(30))
    return Issue(number=1000 + n, title=title, plain_title=title, intro=intro, search_text=intro,
                 language=("zh-hans" if n %% 10 == 0 else "en"), published_at=published)

def section(pk, number, position):
    title, text = (zh(3), zh(10)) if number %% 10 == 0 else (english(3), english(12))
    return Section(issue_id=pk, title=title, search_title=title, text=text, search_text=text,
                   position=position)

def item(pk, position, is_zh):
    title, body = (zh(4), zh(25)) if is_zh else (english(6), english(40))
    return Item(section_id=pk, position=position, title=title, search_title=title, body=body,
                search_text=body)

published = timezone.now() - datetime.timedelta(days=1)
with transaction.atomic():
    Issue.objects.bulk_create(issue(n) for n in range(ISSUES))
    issues = list(Issue.objects.filter(number__gte=1000).values_list("pk", "number"))
    Section.objects.bulk_create(
        section(pk, number, position)
        for pk, number in issues for position in range(1, SECTIONS + 1)
    )
    sections = list(Section.objects.filter(issue__number__gte=1000)
                    .values_list("pk", "issue__number"))
    batch = []
    for pk, number in sections:
        for position in range(1, ITEMS + 1):
            batch.append(item(pk, position, number %% 10 == 0))
        if len(batch) >= 5000:
            Item.objects.bulk_create(batch)
            batch = []
    Item.objects.bulk_create(batch)
print(json.dumps({"items": Item.objects.count()}))
"""

MEASURE = r"""
import json, statistics, time
from django.db import connection
from django.test import Client
from issues.selectors.search import search

# As autovacuum leaves a live database: statistics gathered, and the GIN indexes' pending lists
# (where fresh rows wait, read row by row by every search) merged into the indexes.
with connection.cursor() as cursor:
    for table in ("issues_issue", "issues_section", "issues_item"):
        cursor.execute(f"VACUUM ANALYZE {table}")
queries = json.loads(%(queries)r)
client = Client()
out = {}
for query in queries:
    hits = search(query).count
    assert client.get("/search/", {"q": query}).status_code == 200  # warm
    samples = []
    for _ in range(%(rounds)d):
        started = time.perf_counter()
        response = client.get("/search/", {"q": query})
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    out[query] = {"hits": hits, "samples": samples}
print(json.dumps(out))
"""

# From a word in most items to none, English and Chinese, whole words and fragments.
QUERIES = [
    "transformer",  # among the most frequent words: most items match
    "retrieval",  # frequent
    "quantization",  # less frequent
    "retrieval embedding",  # two words, both must match
    '"open weights"',  # a phrase
    "transfo",  # a fragment: only the substring match finds it
    "预训练",  # Chinese, three characters: trigram index
    "模型",  # Chinese, two characters: too short for a trigram
    "简报 出版物",  # two Chinese words
    "nosuchwordanywhere",  # nothing
]


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_search(env, *, manage, issues=1000, rounds=10):
    """Build the 300,000 items, then time each query; returns the figures."""
    built = manage("shell", "-c", BUILD % {"issues": issues}, env=env).stdout
    print(built.strip().splitlines()[-1], flush=True)
    items = json.loads(built.strip().splitlines()[-1])["items"]
    measure_env = {
        **env,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DIGEST_REQUEST_LOG": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    code = MEASURE % {"queries": json.dumps(QUERIES), "rounds": rounds}
    output = manage("shell", "-c", code, env=measure_env).stdout
    per_query = json.loads(output.strip().splitlines()[-1])
    every = [sample for figures in per_query.values() for sample in figures["samples"]]
    return {
        "items": items,
        "rounds": rounds,
        "p50_ms": percentile(every, 0.5),
        "p95_ms": percentile(every, 0.95),
        "queries": {
            query: {
                "hits": figures["hits"],
                "p50_ms": percentile(figures["samples"], 0.5),
                "p95_ms": percentile(figures["samples"], 0.95),
            }
            for query, figures in per_query.items()
        },
    }


def search_section(figures):
    """The RESULTS.md section for these figures."""
    rows = "\n".join(
        f"| `{query}` | {q['hits']} | {q['p50_ms']:.1f} | {q['p95_ms']:.1f} |"
        for query, q in figures["queries"].items()
    )
    p50, p95 = figures["p50_ms"], figures["p95_ms"]
    met = "yes" if p95 < 50 else "no"
    return f"""## Search

{figures["items"]:,} items (1,000 issues of 20 sections × 15 items, a tenth in Chinese) on
PostgreSQL, the stored vectors and the GIN and trigram indexes of migrations 0008, 0010 and 0012.
Each query {figures["rounds"]} times after one warm-up, `GET /search/?q=…` in process (view,
queries and template; no network; page 1). "Hits": issues, sections and items listed on all
pages (at most 200 of each kind).

| Query | hits | p50 ms | p95 ms |
|---|---:|---:|---:|
{rows}

| Target | Measured | Met |
|---|---:|:---:|
| search p95 < 50 ms (all queries) | p50 {p50:.1f} ms, p95 {p95:.1f} ms | {met} |
"""


def replace_section(results, section):
    """RESULTS.md with its search section replaced by this one (added at the end the first time);
    the sections other benches write are kept."""
    before, found, after = results.partition("## Search\n")
    if not found:
        return f"{results.rstrip()}\n\n{section}" if results.strip() else section
    rest = after.split("\n## ", 1)
    tail = f"\n## {rest[1]}" if len(rest) == 2 else ""
    return f"{before.rstrip()}\n\n{section.rstrip()}\n{tail}"
