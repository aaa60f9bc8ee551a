"""Plain text inside GitHub markdown (comments, job summaries): one escaping for every output.

GitHub reads `<run token>` or `<env>` as an HTML tag and drops it; in a table cell a pipe would
open another column and a newline (a PEM key) would end the row.
"""

from __future__ import annotations


def text(value: str) -> str:
    """Placeholders such as <run token> kept visible."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(value: str) -> str:
    """``text`` for a table cell: pipes escaped, newlines as spaces."""
    return text(value).replace("|", "\\|").replace("\n", " ")
