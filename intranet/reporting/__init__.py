"""Reporting: the network's consolidated figures, charts and map, the association dashboards, the ESF+ report."""


def register(app) -> None:
    """Register the figures' sections and the number formats their pages use."""
    # The sections of what exists today, the demo's history, the medians' periodic step.
    from intranet.reporting import demo, figures, medians  # noqa: F401
    from intranet.reporting.formats import format_figure

    app.jinja_env.filters["figure"] = format_figure
