"""A deterministic 10,000-entry zh+en knowledge base and the buyer messages the benchmark sends.

Built at run time from the sample KB and, when present, the shared dev data (`../shared/data/kb_*.jsonl`,
`cases_*_dev.jsonl`); nothing is copied into the repo. Same seed, same sources: same entries and queries.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.loaders import load_path
from knowledge.models import Entry

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KB = ROOT / "knowledge" / "sample_kb"
SHARED_DATA = Path(os.environ.get("BENCH_SHARED_DATA", ROOT.parent / "shared" / "data"))

PRODUCTS = {
    "zh": ["四件套", "收纳箱", "乳胶枕", "羽绒被", "蚕丝被", "床垫", "凉席", "浴巾", "毛巾", "靠垫", "地毯", "窗帘",
           "衣架", "储物柜", "香薰机", "抱枕", "桌布", "拖鞋", "保温杯", "餐具套装", "收纳袋", "晾衣架", "夏凉被",
           "枕套", "床笠", "浴室防滑垫", "真空压缩袋", "鞋架", "脏衣篮", "沙发巾"],
    "en": ["duvet cover set", "storage box", "latex pillow", "down comforter", "silk quilt", "mattress topper",
           "bath towel", "hand towel", "cushion", "area rug", "blackout curtain", "hanger set", "shoe rack",
           "aroma diffuser", "throw pillow", "tablecloth", "slippers", "insulated bottle", "dinnerware set",
           "laundry basket", "sofa cover", "fitted sheet", "pillowcase", "bath mat", "vacuum storage bag"],
}
ANSWER_CHARS = 240
PLATFORMS = {"zh": ("any", "taobao", "pdd", "jd"), "en": ("any", "amazon")}
ASKING_PLATFORMS = {"zh": ("taobao", "pdd", "jd"), "en": ("amazon",)}
NOTES = {
    "zh": "【{product}，款号{sku}】本款适用以上说明；如页面另有标注（例如{days}天内发货），以商品页面为准。",
    "en": "[{product}, SKU {sku}] The above applies to this item; where its page says otherwise "
          "(for example, ships within {days} days), the page prevails.",
}
# Near-duplicate noise the way buyers type during a promotion: greetings, particles, repeats, order numbers.
PREFIXES = {"zh": ["", "", "亲 ", "你好，", "在吗？", "客服 ", "请问"],
            "en": ["", "", "hi ", "hello, ", "excuse me, ", "hey "]}
SUFFIXES = {"zh": ["", "", "？", "？？", "啊", "呀", "！", " 急", "，谢谢", " 订单号{n}"],
            "en": ["", "", "?", "??", "!", " thanks", " please", " order {n}"]}


@dataclass(frozen=True)
class Query:
    message: str
    platform: str

    def body(self) -> dict[str, str]:
        return {"message": self.message, "platform": self.platform}


def base_entries() -> list[Entry]:
    """The sample KB plus the shared KB files (skipped when absent), each as a validated Entry."""
    entries = load_path(SAMPLE_KB)
    for path in sorted(SHARED_DATA.glob("kb_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = _shared_entry(json.loads(line))
                if entry is not None:
                    entries.append(entry)
    return entries


def _shared_entry(row: dict[str, Any]) -> Entry | None:
    locale = row.get("lang")
    answer = (row.get("answer") or "").strip()
    if locale not in ("zh", "en") or not answer:
        return None
    title = str(row.get("title") or "").replace("_", " ").strip()
    question = (row.get("question") or "").strip() or title
    if not question:
        return None
    safe_id = "".join(c if c.isalnum() or c in "-_.:" else "-" for c in str(row["id"]))[:150]
    return Entry(id=f"shared-{safe_id}", kind="faq", question=question, answer=answer, locale=locale,
                 source="bench-shared")


def generate_kb(size: int = 10_000, seed: int = 7, bases: list[Entry] | None = None) -> list[Entry]:
    """`size` entries: product-specific variants of the base entries (one example each at most), round robin."""
    rng = random.Random(seed)
    bases = bases if bases is not None else base_entries()
    out: list[Entry] = []
    for n in range(size):
        base = bases[n % len(bases)]
        loc = base.locale
        product = rng.choice(PRODUCTS[loc])
        sku = f"QC{rng.randrange(10_000, 99_999)}"
        note = NOTES[loc].format(product=product, sku=sku, days=rng.choice((2, 3, 5, 7, 15)))
        question = f"{product}：{base.heading}" if loc == "zh" else f"{base.heading} ({product})"
        examples = (f"{rng.choice(base.examples)} {product}",) if base.examples and rng.random() < 0.5 else ()
        out.append(Entry(  # answers capped like a shop's FAQ: long law articles would dominate embedding time
            id=f"syn-{n:05d}", kind="faq", question=question[:200], answer=f"{base.answer[:ANSWER_CHARS]}\n{note}",
            platform=rng.choice(PLATFORMS[loc]), locale=loc, tags=base.tags, examples=examples,
            source="bench-synthetic",
        ))
    return out


def distinct_queries(count: int, seed: int = 11, bases: list[Entry] | None = None) -> list[Query]:
    """Distinct buyer messages: the sample KB's example questions and, when present, shared dev-case messages."""
    rng = random.Random(seed)
    bases = bases if bases is not None else base_entries()
    pool: dict[str, str] = {}
    for entry in bases:
        for text in entry.examples:
            pool.setdefault(text, entry.locale)
    for name, loc in (("cases_zh_dev.jsonl", "zh"), ("cases_en_dev.jsonl", "en")):
        path = SHARED_DATA / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines()[:600]:
                message = json.loads(line).get("message", "").strip() if line.strip() else ""
                if 0 < len(message) <= 300:
                    pool.setdefault(message, loc)
    messages = sorted(pool)
    rng.shuffle(messages)
    picked = [Query(m, rng.choice(ASKING_PLATFORMS[pool[m]])) for m in messages[:count]]
    while len(picked) < count:  # a small pool (tests): vary the known messages until there are enough
        q = picked[len(picked) % len(messages)]
        picked.append(Query(f"{q.message} #{len(picked)}", q.platform))
    return picked


def surge_queries(count: int = 5_000, hot: int = 10, share: float = 0.9, seed: int = 13,
                  bases: list[Entry] | None = None) -> list[Query]:
    """A promotion surge: `share` of the messages are near-duplicates of `hot` questions, the rest distinct."""
    rng = random.Random(seed)
    bases = bases if bases is not None else base_entries()
    seeds = distinct_queries(hot, seed=seed + 1, bases=bases)
    others = distinct_queries(max(1, count - int(count * share)), seed=seed + 2, bases=bases)
    out: list[Query] = []
    for n in range(count):
        if rng.random() < share:
            q = seeds[rng.randrange(len(seeds)) if rng.random() < 0.5 else rng.randrange(min(3, len(seeds)))]
            loc = "zh" if any("\u4e00" <= c <= "\u9fff" for c in q.message) else "en"
            suffix = rng.choice(SUFFIXES[loc]).format(n=rng.randrange(10**11, 10**12))
            out.append(Query(f"{rng.choice(PREFIXES[loc])}{q.message}{suffix}", q.platform))
        else:
            out.append(others[n % len(others)])
    return out


def naive_documents(entries: list[Entry]) -> tuple[list[str], list[dict[str, str]], list[str]]:
    """What the LangChain tutorial indexes: one text per entry (question, then answer), with metadata."""
    texts = [f"{e.heading}\n{e.answer}" for e in entries]
    metas = [{"id": e.id, "locale": e.locale, "platform": e.platform, "title": e.heading} for e in entries]
    return texts, metas, [e.key for e in entries]
