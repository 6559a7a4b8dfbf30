"""The association's calendar: availability, resources, booking, moves and cancellations.

It announces its changes through `calendar.signals` and knows no feature that listens.
"""


def register(app) -> None:
    """Plug the feature's demo data in (its pages are registered with the others)."""
    from intranet.calendar import demo  # noqa: F401  (registers its demo loader)
