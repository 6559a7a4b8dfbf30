"""Absolute links for e-mails, always built from BASE_URL; and the links among them that hold a secret.

A link is secret when its URL rule has an argument named `token` or ending in `_token` (a reset,
an invitation, a personal booking link, a follow-up answer, a calendar feed…): whoever reads it can
use it. Stored mails keep such links masked (see `mask_secret_links`); any new route that names
its secret argument that way is covered without further work.
"""

import re
from urllib.parse import quote, urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, RequestRedirect

MASK = "••••••"
_URL = re.compile(r"https?://[^\s<>\"']+")


def _adapter() -> MapAdapter:
    base = urlsplit(current_app.config["BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for `endpoint` on BASE_URL, whatever host the current request names."""
    current_app.inject_url_defaults(endpoint, values)  # e.g. the token of the personal page in use
    return _adapter().build(endpoint, values, force_external=True)


def is_secret_argument(name: str) -> bool:
    return name == "token" or name.endswith("_token")


def _masked(url: str, adapter: MapAdapter, base: str) -> str | None:
    """`url` with its secret arguments replaced by MASK, or None when it holds no secret."""
    path = urlsplit(url[len(base):] or "/").path
    for method in ("GET", "POST"):
        try:
            _rule, arguments = adapter.match(path, method=method, return_rule=True)
        except RequestRedirect as redirect:  # the same page with or without its trailing slash
            try:
                _rule, arguments = adapter.match(urlsplit(redirect.new_url).path.removeprefix(
                    urlsplit(base).path), method=method, return_rule=True)
            except HTTPException:
                continue
        except HTTPException:
            continue
        secrets = [str(value) for name, value in arguments.items() if is_secret_argument(name) and value]
        if not secrets:
            return None
        head, tail = url[:len(base)], url[len(base):]
        for secret in secrets:
            for form in (quote(secret, safe=""), quote(secret), secret):
                if form in tail:
                    tail = tail.replace(form, MASK)
                    break
        return head + tail
    return None


def mask_secret_links(parts: list[str]) -> tuple[list[str], dict[str, str]]:
    """Replace each secret link to this site in `parts` by a masked form; return the parts and {masked: link}."""
    base = current_app.config["BASE_URL"]
    adapter = _adapter()
    masked_of: dict[str, str] = {}
    links: dict[str, str] = {}

    def replace(match: re.Match) -> str:
        url = match.group(0)
        if not url.startswith(base + "/") and url != base:
            return url
        if url not in masked_of:
            masked = _masked(url, adapter, base)
            if masked is None:
                return url
            candidate, n = masked, 1
            while candidate in links:  # two links that only differ by their secret stay apart
                n += 1
                candidate = masked.replace(MASK, f"{MASK}{n}", 1)
            masked_of[url], links[candidate] = candidate, url
        return masked_of[url]

    return [_URL.sub(replace, part) for part in parts], links


def unmask(text: str, links: dict[str, str]) -> str:
    """Put back the secret links `mask_secret_links` took out of `text`."""
    for masked in sorted(links, key=len, reverse=True):
        text = text.replace(masked, links[masked])
    return text
