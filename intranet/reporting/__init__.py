"""Reporting: the network's consolidated figures, charts and map, the association dashboards, the ESF+ report."""


def register(app) -> None:
    """Register the figures' sections and the number formats their pages use."""
    from intranet.reporting import demo, figures  # noqa: F401  (the sections of what exists today, the demo's history)
    from intranet.reporting.formats import format_figure

    app.jinja_env.filters["figure"] = format_figure
