"""Keep link tokens out of the logs: every route with a `token` argument is masked in log lines."""

import logging
import re

from flask import Flask
from werkzeug.routing import Map

MASK = "***"
# The access logs of the development server and of gunicorn, and the app's own error log.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
_PLACEHOLDER = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
_QUERY_TOKEN = re.compile(r"([?&][^=&\s\"]*token=)[^&#\s\"]+", re.IGNORECASE)


def token_patterns(url_map: Map) -> list[re.Pattern]:
    """One pattern per rule that has an argument named `token`, capturing the token in the path."""
    patterns = []
    for rule in url_map.iter_rules():
        if "token" not in rule.arguments:
            continue
        parts = []
        # "/p/<token>/" also covers "/p/<token>" (redirected to it) and every page below it.
        for index, piece in enumerate(_PLACEHOLDER.split(rule.rule.rstrip("/"))):
            if index % 2 == 0:
                parts.append(re.escape(piece))
            elif piece == "token":
                parts.append(r"(?P<token>[^/?#\s\"]+?)")
            else:
                parts.append(r"[^/?#\s\"]+")
        patterns.append(re.compile("".join(parts) + r"(?=[/?#\s\"]|$)"))
    return patterns


def mask_tokens(text: str, patterns: list[re.Pattern]) -> str:
    """`text` with the token of every matching path, and every `…token=` query value, replaced by ***."""
    for pattern in patterns:
        text = pattern.sub(lambda m: m.group(0)[: m.start("token") - m.start()] + MASK
                           + m.group(0)[m.end("token") - m.start():], text)
    return _QUERY_TOKEN.sub(lambda m: m.group(1) + MASK, text)


class TokenLogFilter(logging.Filter):
    """Rewrite each log record so that no link token appears in it."""

    def __init__(self, url_map: Map):
        super().__init__()
        self.patterns = token_patterns(url_map)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message, self.patterns)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_token_log_filter(app: Flask) -> TokenLogFilter:
    """Put the filter on the access loggers and the app's logger (replacing one an earlier app put there)."""
    token_filter = TokenLogFilter(app.url_map)
    for logger in [logging.getLogger(name) for name in ACCESS_LOGGERS] + [app.logger]:
        for old in [f for f in logger.filters if isinstance(f, TokenLogFilter)]:
            logger.removeFilter(old)
        logger.addFilter(token_filter)
    return token_filter
