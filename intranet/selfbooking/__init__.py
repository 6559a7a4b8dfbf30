"""Self-booking by beneficiaries through personal links (/p/<token>), and the staff action that sends them."""


def register(app) -> None:
    """Register the public pages and the staff action."""
    from intranet.selfbooking.staff import bp as staff
    from intranet.selfbooking.views import bp as public

    app.register_blueprint(public)
    app.register_blueprint(staff)
