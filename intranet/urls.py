"""Absolute links for e-mails, always built from BASE_URL, whatever host the request names."""

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


def _adapter() -> MapAdapter:
    base = urlsplit(current_app.config["BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for `endpoint` on BASE_URL, whatever host the current request names."""
    current_app.inject_url_defaults(endpoint, values)  # e.g. the token of the personal page in use
    return _adapter().build(endpoint, values, force_external=True)
