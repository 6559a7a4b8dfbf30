"""Reporting: the network's consolidated figures, charts and map, the association dashboards, the ESF+ report."""


def register(app) -> None:
    """Register the figures' sections and the number formats their pages use."""
    # The sections of the figures (each registers itself), the demo's history, the medians' periodic step, the
    # ESF+ report's files.
    from intranet.reporting import demo, esf_files, figures, medians, partner_figures, volunteer_figures  # noqa: F401
    from intranet.reporting.formats import format_figure

    app.jinja_env.filters["figure"] = format_figure
