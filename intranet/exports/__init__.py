"""Exports of lists to CSV and XLSX: small ones at once, large ones as background jobs with progress, kept 24 hours."""


def register(app) -> None:
    """Register the exports' periodic step (expired files deleted, forgotten jobs queued again) and their sources."""
    from intranet.exports import jobs, partner_sources, services, volunteer_sources  # noqa: F401
    from intranet.exports.views import export_form

    app.jinja_env.globals["export_form_for"] = export_form
    app.jinja_env.globals["month_bounds"] = month_bounds


def month_bounds(day):
    """The first and last days of the month of `day`."""
    from datetime import timedelta

    first = day.replace(day=1)
    return first, (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
