"""Read knowledge files (JSONL, CSV, Markdown) into entries. A file with any bad line yields nothing."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import charset_normalizer
import yaml
from pydantic import ValidationError

from knowledge.errors import InvalidFileError, UnsupportedFileError
from knowledge.language import detect_locale
from knowledge.limits import NestingError, check_nesting, load_json, load_yaml
from knowledge.models import Entry

SUFFIXES = (".jsonl", ".csv", ".md", ".markdown")
_MD_CHUNK = 1200  # characters; longer policy sections are split further


def knowledge_files(path: Path) -> list[Path]:
    """The file itself, or every supported file below a directory (sorted, for stable results)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if is_knowledge_file(p))
    if not path.exists():
        raise UnsupportedFileError(f"{path}: no such file or directory")
    return [path]


def load_path(path: Path) -> list[Entry]:
    """Load one file, or every supported file below a directory."""
    return [entry for f in knowledge_files(path) for entry in load_file(f)]


def is_knowledge_file(path: Path) -> bool:
    """In a directory walk, READMEs describe the folder; they are not knowledge."""
    return path.is_file() and path.suffix.lower() in SUFFIXES and not path.stem.lower().startswith("readme")


def load_file(path: Path) -> list[Entry]:
    return load_bytes(path.read_bytes(), filename=path.name, source=str(path.resolve()))


def load_bytes(data: bytes, filename: str, source: str) -> list[Entry]:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedFileError(f"{filename}: unsupported file type; use one of {', '.join(SUFFIXES)}")
    text = decode(data, source)
    if suffix == ".jsonl":
        entries = _jsonl(text, source)
    elif suffix == ".csv":
        entries = _csv(text, source)
    else:
        entries = _markdown(text, Path(filename).stem, source)
    _check_unique(entries, source)
    return entries


# What Chinese spreadsheets save as "CSV" (Excel on a Chinese Windows writes GBK), and UTF-16 exports.
_LEGACY_ENCODINGS = ("gb18030", "gbk", "gb2312", "cp936", "big5", "big5hkscs", "utf_16", "utf_16_le", "utf_16_be")


def decode(data: bytes, source: str) -> str:
    """UTF-16 by its BOM; UTF-8 (with or without a BOM); GB18030, which reads GBK and GB2312 exactly; else another
    legacy Chinese encoding or BOM-less UTF-16 when detection is sure of it. GB18030 comes before detection, which
    takes short GBK text for Korean or Big5 (mojibake, or a refusal). A NUL is never text: a reading with one is
    wrong (BOM-less UTF-16 reads as UTF-8 or GB18030 with a NUL after each ASCII letter)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("utf-16")
    failure = data.find(0) if 0 in data else None
    if failure is None:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            failure = exc.start
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("gb18030")
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding in _LEGACY_ENCODINGS and "\x00" not in str(best):
        return str(best)
    seen = f"; it looks like {best.encoding}" if best is not None else ""
    raise InvalidFileError(source, [f"not UTF-8 text (byte {failure}){seen}; save the file as UTF-8"])


def parse_entries(rows: Iterable[dict[str, Any]], source: str) -> list[Entry]:
    """Validate already-decoded rows (the JSON body of an API call)."""
    problems: list[str] = []
    entries: list[Entry] = []
    for number, row in enumerate(rows, start=1):
        _collect(row, f"entry {number}", source, entries, problems)
    if problems:
        raise InvalidFileError(source, problems)
    _check_unique(entries, source)
    return entries


def json_objects(lines: Iterable[str], problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON objects of JSONL lines with their line numbers. Blank lines are skipped; a line that is not a JSON
    object (or one nested too deeply, see `knowledge.limits`) goes to `problems` instead, and the caller decides
    whether to raise."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = load_json(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: invalid JSON ({exc.msg})")
            continue
        except NestingError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if isinstance(row, dict):
            yield number, row
        else:
            problems.append(f"line {number}: expected a JSON object")


def _jsonl(text: str, source: str) -> list[Entry]:
    problems: list[str] = []
    entries: list[Entry] = []
    for number, row in json_objects(text.splitlines(), problems):
        _collect(row, f"line {number}", source, entries, problems)
    if problems:
        raise InvalidFileError(source, problems)
    return entries


def _csv(text: str, source: str) -> list[Entry]:
    problems: list[str] = []
    entries: list[Entry] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))  # the csv module splits lines itself, a lone \r too
    try:
        for row in reader:
            if None in row:
                problems.append(f"line {reader.line_num}: more cells than header columns")
                continue
            cleaned = {k.strip(): v for k, v in row.items() if k and v is not None and v.strip() != ""}
            _collect(cleaned, f"line {reader.line_num}", source, entries, problems)
    except csv.Error as exc:  # e.g. a quote left open at the end of the file
        problems.append(f"line {reader.line_num}: {exc}")
    if problems:
        raise InvalidFileError(source, problems)
    return entries


def _collect(row: dict[str, Any], where: str, source: str, entries: list[Entry], problems: list[str]) -> None:
    try:
        check_nesting(row)  # API rows arrive parsed; a file's were checked as they were parsed
        entries.append(Entry.from_input({**row, "source": source}))
    except NestingError as exc:
        problems.append(f"{where}: {exc}")
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "entry"
            problems.append(f"{where}: {field}: {err['msg']}")


def _check_unique(entries: list[Entry], source: str) -> None:
    dupes = sorted(key for key, n in Counter(e.key for e in entries).items() if n > 1)
    if dupes:
        raise InvalidFileError(source, [f"duplicate id and locale: {', '.join(dupes)}"])


_ANCHOR = re.compile(r"\s*\{#([\w-]+)\}\s*$")  # `## 退货政策 {#returns}` names the section's id
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def _markdown(text: str, stem: str, source: str) -> list[Entry]:
    """Each section under a heading becomes a policy entry; front matter sets kind, platform, locale, tags.

    A section's id is `<front-matter id or file stem>:<heading slug>`; a `{#anchor}` after the heading
    overrides the slug, so that translations of one document can share ids.
    """
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    defaults: dict[str, Any] = {"kind": "policy"}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            meta = load_yaml(match.group(1)) or {}
        except (yaml.YAMLError, NestingError) as exc:
            raise InvalidFileError(source, [f"front matter: {exc}"]) from exc
        if not isinstance(meta, dict):
            raise InvalidFileError(source, ["front matter must be a mapping"])
        defaults.update(meta)
        text = text[match.end():]
    defaults.setdefault("locale", detect_locale(text))
    prefix = _slug([str(defaults.pop("id", stem))])
    headers = [("#", "h1"), ("##", "h2"), ("###", "h3")]
    sections = MarkdownHeaderTextSplitter(headers_to_split_on=headers).split_text(text)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=_MD_CHUNK, chunk_overlap=0, keep_separator="end",  # "。" ends a chunk, never starts one
        separators=["\n\n", "\n", "。", "！", "？", ". ", "；", "; ", " ", ""],
    )
    entries: list[Entry] = []
    problems: list[str] = []
    for section in sections:
        raw = [section.metadata[h] for _, h in headers if h in section.metadata]
        anchors = [m.group(1) for m in map(_ANCHOR.search, raw) if m]
        path = [_ANCHOR.sub("", h) for h in raw]
        title = " > ".join(path) or stem
        chunks = splitter.split_text(section.page_content)
        for part, chunk in enumerate(chunks, start=1):
            slug = _slug([anchors[-1]] if anchors else path[1:] or path or [stem])
            suffix = f"-{part}" if len(chunks) > 1 else ""
            row = {**defaults, "id": f"{prefix}:{slug}{suffix}", "title": title, "answer": chunk}
            _collect(row, f"section {title!r}", source, entries, problems)
    if problems:
        raise InvalidFileError(source, problems)
    if not entries:
        raise InvalidFileError(source, ["no text found under any heading"])
    return entries


def _slug(parts: list[str]) -> str:
    joined = "-".join(parts).lower()
    return re.sub(r"[^\w]+", "-", joined).strip("-") or "section"
