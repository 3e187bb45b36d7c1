"""A Chroma `where` clause applied in Python, to chunk metadata Chroma has already returned."""

from __future__ import annotations

from typing import Any


def matches(where: dict[str, Any], meta: Any) -> bool:
    """Whether chunk metadata `meta` passes a `where` clause of the shapes retrieval writes: $and, $or and
    a field compared with $eq, $lt, $lte, $gt, $gte or $in (a field the metadata lacks fails, as in Chroma)."""
    if "$and" in where:
        return all(matches(w, meta) for w in where["$and"])
    if "$or" in where:
        return any(matches(w, meta) for w in where["$or"])
    ((field, test),) = where.items()
    ((op, value),) = (test if isinstance(test, dict) else {"$eq": test}).items()
    if op not in _COMPARE:
        raise ValueError(f"a where clause with {op} is applied only by Chroma")
    return field in meta and bool(_COMPARE[op](meta[field], value))


_COMPARE: dict[str, Any] = {
    "$eq": lambda a, b: a == b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$in": lambda a, b: a in b,
}
