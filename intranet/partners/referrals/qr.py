"""The QR code of a referral link, drawn on the server as inline SVG (segno)."""

import segno
from markupsafe import Markup


def qr_svg(url: str, *, title: str = "") -> Markup:
    """An SVG QR code of `url` that scales to its box (no fixed size), with a title for screen readers."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=1, border=2, omitsize=True, title=title or None, svgclass="qr-code",
                                  lineclass=None, dark="#000", light="#fff"))
