"""Checks shared by the report's tests."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from overcap.report import messages

KEYLIKE = re.compile(r"\b[a-z_]+(?:\.[A-Za-z0-9_\-]+)+\b")


def strings(obj: Any) -> Iterator[str]:
    """Every string inside a nested structure of dicts, lists and tuples."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from strings(v)


def untranslated(texts: Iterable[str]) -> list[str]:
    """Catalogue keys that appear as text (a label that was never looked up)."""
    keys = set(messages.keys())
    found = set()
    for text in texts:
        for token in KEYLIKE.findall(text):
            if token in keys or token.rsplit(".", 1)[0] in keys:
                found.add(token)
    return sorted(found)
