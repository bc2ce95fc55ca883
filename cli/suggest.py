"""`draftdesk index PATH --suggest-examples`: example questions from the LLM, written out for the knowledge owner to
review and merge into the files; the store is not touched."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import typer

from cli.common import fail, guard
from composition.llm import build_chat_model
from composition.settings import Settings
from drafting.suggestions import ExampleSuggester, Failure, wanting_examples
from knowledge.loaders import load_path


def suggest_examples(settings: Settings, paths: Sequence[Path], out: Path, *, as_json: bool = False) -> None:
    """One JSON line per entry without examples (`{"id", "locale", "question", "examples"}`), each written as it
    comes, so an interrupted run keeps what it finished. Exit 1 if the model failed for every entry."""
    chat = guard(lambda: build_chat_model(settings))
    if chat is None:
        fail("--suggest-examples needs an LLM: set DRAFTDESK_LLM (and its base URL, key and model)", 2)
    entries = wanting_examples(guard(lambda: [e for path in paths for e in load_path(path)]))
    suggested, skipped = 0, []
    try:
        with out.open("w", encoding="utf-8") as handle:
            for result in ExampleSuggester(chat).suggest_all(entries):
                if isinstance(result, Failure):
                    skipped.append({"id": result.entry.id, "locale": result.entry.locale, "error": result.error})
                    typer.echo(f"skipped {result.entry.key}: {result.error}", err=True)
                    continue
                handle.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
                handle.flush()
                suggested += 1
    except OSError as exc:
        fail(f"cannot write {out}: {exc}")
    if as_json:
        typer.echo(json.dumps({"out": str(out), "entries": len(entries), "suggested": suggested, "skipped": skipped},
                              ensure_ascii=False))
    else:
        typer.echo(f"suggested examples for {suggested} of {len(entries)} entries without examples -> {out} "
                   "(review, then add them to the entries' `examples`)")
    if skipped and not suggested:
        raise typer.Exit(1)
