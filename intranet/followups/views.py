"""The answer pages (public, from the e-mail) and staff's list of follow-ups left unanswered.

A link of the e-mail only shows the answer it stands for with a button; the answer is recorded
by that button's POST. Mail scanners and link previews open every link of a mail: a GET that
recorded would let them choose the person's answer, and at six months the ESF+ result.
"""

from flask import Blueprint, g, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from intranet.args import paginate
from intranet.clock import today_in
from intranet.extensions import db
from intranet.followups import services
from intranet.forms import EmptyForm
from intranet.journeys.models import FollowUpAnswer
from intranet.network.models import Association
from intranet.rendering import render
from intranet.tenancy import association_blueprint

public_bp = Blueprint("followups_public", __name__, url_prefix="/f")
bp = association_blueprint("followups", __name__, role="staff")

PROBLEM_STATUS = {"unknown": 404, "expired": 410}


@public_bp.after_request
def keep_private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _open(token: str, answer: str):
    """The journey, period and association a link is about, or the page that says why it opens nothing."""
    try:
        journey, period = services.read_token(token)
    except services.LinkProblem as problem:
        return None, (render("followups/problem.html", reason=problem.reason, association=None),
                      PROBLEM_STATUS[problem.reason])
    association = db.session.get(Association, journey.association_id)
    if answer not in FollowUpAnswer.values():
        return None, (render("followups/problem.html", reason="answer", association=association), 404)
    return (journey, period, association), None


def _confirm_page(token: str, answer: str, error: str | None = None, status: int = 200):
    opened, problem = _open(token, answer)
    if problem:
        return problem
    journey, period, association = opened
    return render("followups/confirm.html", association=association, answer=answer, token=token, error=error,
                  first_name=journey.beneficiary.first_name, form=EmptyForm(),
                  already=getattr(journey, f"answer_{period}") == answer), status


@public_bp.get("/<token>/<answer>")
def answer(token: str, answer: str):
    """Show the answer the link stands for, with the button that records it; nothing is written."""
    return _confirm_page(token, answer)


@public_bp.post("/<token>/<answer>")
def record(token: str, answer: str):
    opened, problem = _open(token, answer)
    if problem:
        return problem
    journey, period, association = opened
    if not EmptyForm().validate_on_submit():
        return _confirm_page(token, answer, _("La page a expiré. Confirmez à nouveau votre réponse."), 400)
    services.record_answer(journey, period, answer, today_in(association.timezone))
    return render("followups/thanks.html", association=association, answer=answer, token=token,
                  first_name=journey.beneficiary.first_name)


@public_bp.errorhandler(CSRFError)
def page_expired(error):
    """A form sent without its session (cookies cleared, page kept open for long): ask again, write nothing."""
    args = request.view_args or {}
    return _confirm_page(args.get("token", ""), args.get("answer", ""),
                         _("La page a expiré. Confirmez à nouveau votre réponse."), 400)


@bp.get("/follow-ups")
def index():
    return render("followups/index.html", rows=paginate(services.unanswered(g.association.id)))


@bp.app_template_global()
def unanswered_follow_ups(association_id: int) -> tuple[int, bool]:
    """How many follow-ups of the association wait for an answer, capped (for the beneficiaries page's header)."""
    return services.count_unanswered(association_id)
