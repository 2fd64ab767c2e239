"""Names of places in a document as an editor says them: `clause 'buying.window'`, not `clauses.1`.

A clause or a glossary term is an item of a list, so its JSON path holds an index that the
editor never sees (and that counts from 0); the item's id is what the editor searches for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LISTS_OF_NAMED_ITEMS = {"clauses": "clause", "terms": "term"}
"""Top-level lists whose items carry an `id`, and what one item is called."""


def place_name(data: Any, path: Sequence[str | int]) -> str:
    """The place at `path` in a document's data, named by the id of its clause or term.

    `("clauses", 1, "rule")` -> `rule of clause 'buying.window'`; a path outside such a list
    keeps its dotted form (`decisions.purchase.question`); an item without a usable id is
    named by its position, counted from 1 as editors count.
    """
    if len(path) >= 2 and path[0] in LISTS_OF_NAMED_ITEMS and isinstance(path[1], int):
        kind = LISTS_OF_NAMED_ITEMS[str(path[0])]
        item = _item(data, str(path[0]), path[1])
        # An error in the id itself names the item by its position, not by the faulty id.
        item_id = item.get("id") if isinstance(item, dict) and path[2:] != ("id",) else None
        owner = f"{kind} '{item_id}'" if isinstance(item_id, str) and item_id else f"{kind} {path[1] + 1}"
        rest = ".".join(str(p) for p in path[2:])
        return f"{rest} of {owner}" if rest else owner
    return ".".join(str(p) for p in path)


def _item(data: Any, key: str, index: int) -> Any:
    items = data.get(key) if isinstance(data, dict) else None
    return items[index] if isinstance(items, list) and 0 <= index < len(items) else None
