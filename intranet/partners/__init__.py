"""Partners and referrals: the directory, the contact log with trust stages, referral links and their inbox."""


def register(app) -> None:
    """Pages, the tick's step, the digest's sections, the demo data, the file form's directory, the calendar's signal."""
    from intranet.calendar import signals
    from intranet.partners import demo, digest  # noqa: F401  (demo loader, digest sections)
    from intranet.partners.network_views import bp as network
    from intranet.partners.referrals import jobs  # noqa: F401  (the expiry step)
    from intranet.partners.referrals import services as referrals
    from intranet.partners.referrals.public import bp as public
    from intranet.partners.referrals.public import completion_bp as completion
    from intranet.partners.referrals.views import bp as inbox
    from intranet.partners.views import Directory
    from intranet.partners.views import bp as partners

    for blueprint in (partners, inbox, public, completion, network):
        app.register_blueprint(blueprint)
    app.extensions["referrer_directory"] = Directory()
    signals.appointment_booked.connect(referrals.on_booked)
