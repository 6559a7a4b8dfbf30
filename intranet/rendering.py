"""One helper to answer with a full page, or with one block of it for htmx."""

import json
import re

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape

_URL = re.compile(r"https?://[^\s<>\"]+")


def render(template: str, block: str | None = None, *, announce: str | None = None, **context):
    """Render `template`; an htmx request gets only `block` of it.

    `announce` is read out to screen-reader users (and shown) after the swap.
    """
    partial = block and request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    html = render_block(template, block, **context) if partial else render_template(template, **context)
    response = make_response(html)
    if announce:
        response.headers["HX-Trigger"] = json.dumps({"announce": announce})
    response.vary.add("HX-Request")
    return response


def linkify(text: str) -> Markup:
    """Escape `text` and make its web addresses clickable (mail bodies in the mailbox)."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))
