"""`draftdesk keys create | list | revoke`: API keys, without loading the embedding model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from cli.common import guard
from composition.settings import Settings
from core.vocab import KEY_ROLES
from records.audit import AuditLog
from records.history import open_engine
from records.keys import ApiKey, KeyStore

app = typer.Typer(help="Create, list and revoke API keys (stored hashed in the draft-log database).",
                  no_args_is_help=True)


def key_stores(settings: Settings) -> tuple[KeyStore, AuditLog]:
    """The keys and the audit log, on one engine of the draft-log database."""

    def open_both() -> tuple[KeyStore, AuditLog]:
        engine = open_engine(settings.database)
        clock = lambda: datetime.now(UTC)  # noqa: E731
        retention = timedelta(days=settings.audit_retention_days) if settings.audit_retention_days else None
        return KeyStore(engine, clock), AuditLog(engine, clock, retention)

    return guard(open_both)


def shown(key: ApiKey) -> dict[str, object]:
    return {"id": key.id, "role": key.role, "shop": key.shop, "label": key.label,
            "created_at": key.created_at.isoformat(), "revoked_at": key.revoked_at.isoformat()
            if key.revoked_at else None, "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None}


@app.command()
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(KEY_ROLES)}.")],
    shop: Annotated[str | None, typer.Option(help="The shop the key belongs to (default: `draftdesk --shop`).")]
    = None,
    label: Annotated[str, typer.Option(help="Who or what uses it, e.g. 'night shift'.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"key": ..., "id": ...} as JSON.')] = False,
) -> None:
    """Create a key; the key itself is printed once and cannot be shown again."""
    keys, audit = key_stores(ctx.obj)
    record, plain = guard(lambda: keys.create(role, shop or ctx.meta["shop"], label))
    guard(lambda: audit.record(f"keys create {record.id}", actor="cli", role=record.role,
                                            shop=record.shop))
    if as_json:
        typer.echo(json.dumps({"key": plain, **shown(record)}, ensure_ascii=False))
    else:
        typer.echo(plain)
        typer.echo(f"created key {record.id} (role {record.role}, shop {record.shop}); store it now: it is not "
                   "shown again", err=True)


@app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Every key, revoked ones included (never the secret)."""
    keys, _ = key_stores(ctx.obj)
    for key in guard(keys.list):
        if as_json:
            typer.echo(json.dumps(shown(key), ensure_ascii=False))
        else:
            state = "revoked" if key.revoked_at else "active"
            typer.echo(f"{key.id}\t{key.role}\t{key.shop}\t{state}\t{key.label}")


@app.command()
def revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke a key: requests with it are refused from now on."""
    keys, audit = key_stores(ctx.obj)
    key = guard(lambda: keys.revoke(key_id))
    guard(lambda: audit.record(f"keys revoke {key.id}", actor="cli", role=key.role, shop=key.shop))
    typer.echo(f"revoked {key.id} (role {key.role}, shop {key.shop})")
