"""One unit of work per request: services flush, the request commits once, or rolls everything back.

Services change objects and flush; they never commit or roll back. When the view has answered,
`finish` commits if the answer is a success (status below 400) and rolls back otherwise (an error
page, a refused form answered 4xx, an exception). A view that must record something although the
request fails (a failed sign-in attempt) commits it itself, explicitly. Jobs (`intranet.jobs`) and
commands commit themselves the same way: once, when the job or command has done its work.
"""

from flask import Flask

from intranet.extensions import db


def abandon() -> None:
    """Drop the request's changes now, before answering: the page shown next reads the database as it was.

    For a view that catches a refusal (RuleError) and shows a page of its own; `forms.show_rule_error`
    does it for the others. The request's answer, a 4xx, would roll back anyway, but only after the
    page was rendered from the half-done change.
    """
    db.session.rollback()


def finish(response):
    """Commit the request's changes when it succeeded, else roll them back."""
    if response.status_code >= 400:
        db.session.rollback()
    else:
        db.session.commit()
    return response


def discard(error: BaseException | None) -> None:
    """A request that raised writes nothing (the error page's own answer rolled back already)."""
    if error is not None:
        db.session.rollback()


def install(app: Flask) -> None:
    # Registered first, so it runs after every other after_request function (Flask calls them in reverse).
    app.after_request(finish)
    app.teardown_request(discard)
