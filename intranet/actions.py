"""The two shapes of a step that removes access or hides something, and of the button that undoes it.

    @bp.route("/partners/<int:partner_id>/deactivate", methods=["GET", "POST"])
    def deactivate(partner_id: int):
        partner = _load(partner_id)
        return confirmed(lambda: services.set_active(partner, False), done=_("… désactivé."),
                         then=url_for("partners.index"), question=…, explanation=…, confirm_label=…,
                         back_url=url_for("partners.show", partner_id=partner.id))

`confirmed`: a GET (or a POST whose CSRF form is refused) shows the confirmation page; a confirmed POST
calls the service. `posted`: a bare POST button (reactivate, resend) calls it when its CSRF form is valid.
Either way the service's success flashes `done` (a text, or a function of what the service returned), a
`RuleError` flashes its message with the change rolled back, and the answer is a redirect to `then`.
"""

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from intranet.forms import EmptyForm, show_rule_error
from intranet.rendering import confirm
from intranet.rules import RuleError

Done = str | Callable[[Any], str]


def confirmed(act: Callable[[], Any], *, done: Done, then: str, question: str, explanation: str,
              confirm_label: str, back_url: str, back_label: str = ""):
    """The confirmation page, or once confirmed, `act()` and a redirect to `then`."""
    form = EmptyForm()
    if form.validate_on_submit():
        _run(act, done)
        return redirect(then)
    return confirm(form, question=question, explanation=explanation, confirm_label=confirm_label,
                   back_url=back_url, back_label=back_label)


def posted(act: Callable[[], Any], *, done: Done, then: str):
    """`act()` if the button's CSRF form is valid, then a redirect to `then`."""
    if EmptyForm().validate_on_submit():
        _run(act, done)
    return redirect(then)


def _run(act: Callable[[], Any], done: Done) -> None:
    try:
        result = act()
    except RuleError as error:
        show_rule_error(None, error)
    else:
        flash(done(result) if callable(done) else done, "success")
