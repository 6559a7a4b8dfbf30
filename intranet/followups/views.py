"""The one-click answer pages (public, from the e-mail) and staff's list of follow-ups left unanswered."""

from flask import Blueprint, g
from flask_babel import lazy_gettext as _l

from intranet.clock import today_in
from intranet.extensions import db
from intranet.followups import services
from intranet.network.models import Association
from intranet.rendering import render
from intranet.tenancy import association_blueprint

public_bp = Blueprint("followups_public", __name__, url_prefix="/f")
bp = association_blueprint("followups", __name__, role="staff")

ANSWER_LABELS = {"job": _l("J’ai trouvé un emploi"), "training": _l("Je suis en formation"),
                 "searching": _l("Je cherche toujours"), "other": _l("Autre situation")}
PERIOD_LABELS = {"1m": _l("À un mois"), "6m": _l("À six mois")}
PROBLEM_STATUS = {"unknown": 404, "expired": 410}


@public_bp.after_request
def keep_private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public_bp.get("/<token>/<answer>")
def answer(token: str, answer: str):
    try:
        journey, period = services.read_token(token)
    except services.LinkProblem as problem:
        return render("followups/problem.html", reason=problem.reason, association=None), \
            PROBLEM_STATUS[problem.reason]
    association = db.session.get(Association, journey.association_id)
    if answer not in services.ANSWERS:
        return render("followups/problem.html", reason="answer", association=association), 404
    services.record_answer(journey, period, answer, today_in(association.timezone))
    return render("followups/thanks.html", association=association, answer=answer, token=token,
                  answer_labels=ANSWER_LABELS, first_name=journey.beneficiary.first_name)


@bp.get("/follow-ups")
def index():
    return render("followups/index.html", rows=services.unanswered(g.association.id), period_labels=PERIOD_LABELS)


@bp.app_template_global()
def unanswered_follow_ups(association_id: int) -> int:
    """How many follow-ups of the association wait for an answer (for the beneficiaries page's header)."""
    return services.count_unanswered(association_id)


@bp.app_context_processor
def labels():
    return {"follow_up_answer_labels": ANSWER_LABELS}
