"""Volunteers: the directory and profiles, the training catalogue and sessions, qualifications that gate booking.

`volunteers.gate` is the one piece the calendar reads (who may coach a module on a day); it imports
only this package's models, so this file imports nothing at load time either.
"""


def register(app) -> None:
    """Add the pages, the renewal step of the tick, the digest's count and the demo data."""
    from intranet.volunteers import demo, jobs  # noqa: F401  (registers its demo loader, tick step and digest section)
    from intranet.volunteers.me_views import bp as my_trainings
    from intranet.volunteers.training_views import bp as trainings
    from intranet.volunteers.training_views import network_bp
    from intranet.volunteers.views import bp as volunteers

    for blueprint in (volunteers, trainings, network_bp, my_trainings):
        app.register_blueprint(blueprint)
