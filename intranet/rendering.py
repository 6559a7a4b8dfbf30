"""One helper to answer with a full page, or with one block of it for htmx."""

import re

from flask import render_template
from flask_htmx import make_response
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape

from intranet.extensions import htmx

_URL = re.compile(r"https?://[^\s<>\"]+")


def render(template: str, block: str | None = None, *, announce: str | None = None, **context):
    """Render `template`; an htmx request gets only `block` of it.

    `announce` is read out to screen-reader users (and shown) after the swap.
    """
    partial = block and htmx and not htmx.boosted and not htmx.history_restore_request
    html = render_block(template, block, **context) if partial else render_template(template, **context)
    response = make_response(html, trigger={"announce": announce} if announce else None)
    response.vary.add("HX-Request")
    return response


def linkify(text: str) -> Markup:
    """Escape `text` and make its web addresses clickable (mail bodies in the mailbox)."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))
