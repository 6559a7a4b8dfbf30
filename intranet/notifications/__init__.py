"""E-mail: the outbox, delivery, the messages of appointments, reminders, the digest, the calendar feed."""


def register(app) -> None:
    """Listen to the calendar, add the tick's steps and the demo mail, offer the mail list to templates."""
    from intranet.notifications import appointments, delivery, demo, digest, retention  # noqa: F401  (steps, loader)
    from intranet.notifications.services import messages_about

    appointments.connect()
    app.add_template_global(messages_about, "messages_about")
