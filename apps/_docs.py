"""Links from the explorer to lawfit's documentation pages (``docs/`` in the repository, built
with mkdocs). With ``LAWFIT_DOCS_URL`` set (the address of the built site), a link opens the
page; without it the text names the page in the ``docs/`` folder of the lawfit checkout."""

from __future__ import annotations

import os


def link(page: str, text: str, anchor: str = "") -> str:
    """Markdown for the docs page ``page`` (e.g. ``"laws/cpt"``), shown as ``text``.

    >>> os.environ.pop("LAWFIT_DOCS_URL", None) and None
    >>> link("laws/cpt", "CPT planning", "planning")
    'CPT planning (docs: `docs/laws/cpt.md`, section *planning*)'
    """
    base = os.environ.get("LAWFIT_DOCS_URL", "").rstrip("/")
    if base:
        return f"[{text}]({base}/{page}/{'#' + anchor if anchor else ''})"
    where = f"`docs/{page}.md`" + (f", section *{anchor}*" if anchor else "")
    return f"{text} (docs: {where})"
