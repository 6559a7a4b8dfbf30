"""Follow-ups after a journey's exit: one-click e-mail answers at one and six months, and who did not answer."""


def register(app) -> None:
    """Add the follow-ups' step to the minute tick (its pages are registered with the others)."""
    from intranet.followups import jobs  # noqa: F401  (registers its periodic step)
