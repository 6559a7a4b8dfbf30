"""One helper to answer with a full page, or with one block of it for htmx."""

import re

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_htmx import make_response
from jinja2_fragments import render_block as render_block_in
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape

from intranet.extensions import htmx
from intranet.urls import MASK

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


def confirm(form, *, question: str, explanation: str, confirm_label: str, back_url: str, back_label: str = ""):
    """The one confirmation page before deactivating, closing or cancelling something."""
    return render("confirm.html", form=form, question=question, explanation=explanation,
                  confirm_label=confirm_label, back_url=back_url, back_label=back_label)


def render_text_block(template: str, block: str, **context) -> str:
    """Render one block of `template` as plain text (no HTML escaping): e-mail subjects and text parts."""
    app = current_app._get_current_object()
    environment = app.extensions.get("text_jinja_env")
    if environment is None:  # made once the app is set up, so it shares its globals, filters and loader
        environment = app.extensions["text_jinja_env"] = app.jinja_env.overlay(autoescape=False)
    app.update_template_context(context)
    return render_block_in(environment, template, block, **context)


def linkify(text: str) -> Markup:
    """Escape `text` and make its web addresses clickable (mail bodies in the mailbox); masked links stay text."""
    escaped = str(escape(text))

    def link(match: re.Match) -> str:
        url = match.group(0)
        if MASK in url:
            return f'<span class="masked-link">{url}</span> <small>({escape(_("lien personnel masqué"))})</small>'
        return f'<a href="{url}">{url}</a>'

    return Markup(_URL.sub(link, escaped))
