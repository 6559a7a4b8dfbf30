"""Volunteers: the directory and profiles, the training catalogue and sessions, qualifications that gate booking,
session logs from /me, other activities, hours and their value.

`volunteers.gate` is the one piece the calendar reads (who may coach a module on a day); it imports
only this package's models, so this file imports nothing at load time either.
"""


def register(app) -> None:
    """Add the pages, the renewal and log-reminder steps of the tick, the digest's count and the demo data."""
    from flask_babel import format_currency, format_decimal

    from intranet.volunteers import demo, jobs, log_demo  # noqa: F401  (they register loaders, steps, digest)
    from intranet.volunteers.hours_views import bp as volunteer_hours
    from intranet.volunteers.hours_views import network_bp as network_hours
    from intranet.volunteers.log_views import bp as my_logs
    from intranet.volunteers.me_views import bp as my_trainings
    from intranet.volunteers.training_views import bp as trainings
    from intranet.volunteers.training_views import network_bp
    from intranet.volunteers.views import bp as volunteers

    for blueprint in (volunteers, trainings, network_bp, my_trainings, my_logs, volunteer_hours, network_hours):
        app.register_blueprint(blueprint)
    app.jinja_env.filters["decimal"] = lambda value: format_decimal(value, format="#,##0.##")
    app.jinja_env.filters["euros"] = lambda value: format_currency(value, "EUR")
