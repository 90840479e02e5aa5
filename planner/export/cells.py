"""The one rule for text the planner writes into a cell, of a workbook or of a CSV file.

Text in a cell comes from outside (names, ids, notes, sources, messages, file paths) and must
stay text:

1. characters a workbook cannot hold (control characters, bytes of a file name that are not
   UTF-8, the non-characters U+FFFE and U+FFFF) become visible escapes (``\\x1b``, ``\\xe9``),
   never dropped in silence and never a broken file;
2. text is cut at Excel's 32,767 characters per cell;
3. text that a spreadsheet would read as a formula — it starts with ``=``, ``+``, ``-``, ``@``, a
   tab or a carriage return (OWASP's rule for CSV injection) — is marked as text the way a
   spreadsheet marks text typed after an apostrophe: in a CSV file by that apostrophe (``'=1+1``),
   in a workbook by the cell's quote-prefix flag (the cell shows ``=1+1`` and stays text when
   edited). Workbook text cells are also always stored as strings, never as formulas.
"""

from __future__ import annotations

import re
from typing import Any

#: Excel's limit of characters in a cell
MAX_CELL_CHARS = 32_767
#: first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(ch: str) -> str:
    o = ord(ch)
    if 0xDC80 <= o <= 0xDCFF:  # a byte that is not UTF-8, kept by Python's file-name decoding
        return f"\\x{o - 0xDC00:02x}"
    if o < 0x100:
        return f"\\x{o:02x}"
    return f"\\u{o:04x}"


#: characters a workbook cannot hold: control characters but tab, newline and carriage return; C1 controls;
#: lone surrogates (bytes of a file name that are not UTF-8); the non-characters U+FFFE and U+FFFF
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def cell_text(text: str) -> str:
    """`text` as a cell holds it: unsafe characters escaped visibly, cut at 32,767 characters."""
    if _UNSAFE.search(text) is not None:
        text = _UNSAFE.sub(lambda m: _escape(m.group()), text)
    return text[:MAX_CELL_CHARS]


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula (or the start of one)."""
    return text.startswith(FORMULA_START)


def csv_value(v: Any) -> Any:
    """A value for a CSV cell: numbers as they are, text by the rule above (apostrophe before a formula)."""
    if not isinstance(v, str):
        return v
    text = cell_text(v)
    return "'" + text if looks_like_formula(text) else text
