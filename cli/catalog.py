"""`draftdesk catalog import | list`: the shop's products and promotions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from catalog.loaders import load_products, load_promotions
from catalog.service import Imported
from cli.common import fail, guard, shop

app = typer.Typer(help="Import and list the shop's products and promotions (pre-sale answers).", no_args_is_help=True)


def counts(imported: Imported) -> dict[str, object]:
    applied = imported.applied
    return {
        "products": vars(applied.products), "promotions": vars(applied.promotions),
        "embedded": imported.embedded, "revision": applied.revision,
    }


@app.command("import")
def import_(
    ctx: typer.Context,
    products: Annotated[Path | None, typer.Option(help="Products file (.jsonl or .csv; UTF-8 or GBK).")] = None,
    promotions: Annotated[Path | None, typer.Option(help="Promotions file (.jsonl or .csv).")] = None,
    prune: Annotated[bool, typer.Option(help="Delete the products (promotions) the given file no longer holds.")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Add and update products and promotions from files; unchanged rows embed nothing. A file with a bad row
    imports nothing and names the line."""
    if products is None and promotions is None:
        fail("give --products FILE, --promotions FILE or both", 2)
    rows = guard(lambda: load_products(products)) if products else None
    offers = guard(lambda: load_promotions(promotions)) if promotions else None
    imported = guard(lambda: shop(ctx).catalog.apply(rows, offers, prune=prune))
    result = counts(imported)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    for kind in ("products", "promotions"):
        c = vars(getattr(imported.applied, kind))
        typer.echo(f"{kind}: {c['added']} added, {c['updated']} updated, {c['unchanged']} unchanged, "
                   f"{c['deleted']} deleted")
    typer.echo(f"embedded: {imported.embedded}; catalog revision {imported.applied.revision}")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The shop's products: SKU, title, price, stock."""
    view = guard(lambda: shop(ctx).catalog.view())
    for product in view.products.values():
        if as_json:
            typer.echo(product.model_dump_json())
        else:
            typer.echo(f"{product.sku}\t{product.title}\t{product.price} {product.currency}\t"
                       f"stock {product.stock} ({product.stock_level()})")
    if not as_json:
        typer.echo(f"{len(view.products)} products, {len(view.promotions)} promotions (revision {view.revision})")
