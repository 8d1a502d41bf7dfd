"""Echoing untrusted text (a file name, a value from an import file) back to a person safely.

A terminal obeys escape sequences and a bidirectional override can reorder what the eye reads, so control
and format characters are shown as ``\\x1b``-style escapes; a value is cut to a length a report can hold.
"""

from __future__ import annotations

import unicodedata

DEFAULT_LIMIT = 120


def _escaped(char: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return char


def printable(text: str, limit: int | None = DEFAULT_LIMIT) -> str:
    """``text`` with control and format characters escaped, cut to ``limit`` characters (None: whole)."""
    cut = text if limit is None or len(text) <= limit else text[:limit]
    shown = "".join(_escaped(char) for char in cut)
    if cut is not text:
        shown += f"… ({len(text):,} characters)"
    return shown
