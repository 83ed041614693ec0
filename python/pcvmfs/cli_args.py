"""Argument helpers shared by the ``pcvmfs`` sub-commands."""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from .errors import ParseError


def pairs(items: Sequence[str], what: str, sep: str = "=", shape: Optional[str] = None) -> List[Tuple[str, str]]:
    """``KEY<sep>VALUE`` arguments as pairs, in order; one without the
    separator or with an empty key raises ``ParseError`` naming ``what``."""
    out = []
    for item in items:
        key, found, value = item.partition(sep)
        if not found or not key:
            raise ParseError(f"invalid {what} {item!r}: expected {shape or f'KEY{sep}VALUE'}")
        out.append((key, value))
    return out
