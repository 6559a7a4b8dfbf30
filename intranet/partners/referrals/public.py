"""The pages a partner opens from its referral link, without an account (/p/<token>/orientation),
and the page where a referrer completes a referral staff asked more about (/p/<token>/completer).

They show only what the link is for: the form, the association's name, the partner's name. A GET
writes nothing; a submission is counted against the link's and the address's limits, and a
replayed or double-clicked one finds the referral it made instead of making another.
"""

import secrets

from flask import Blueprint, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.forms import show_rule_error
from intranet.network.models import Association
from intranet.partners.referrals import services
from intranet.partners.referrals.forms import ReferralForm, clean_key
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.transactions import abandon

bp = Blueprint("referrals_public", __name__, url_prefix="/p/<token>")
completion_bp = Blueprint("referral_completion", __name__, url_prefix="/p/<token>")
PROBLEM_STATUS = {"unknown": 404, "revoked": 410, "done": 410, "session": 400, "too_many": 429}


def _problem(reason: str, association: Association | None = None, status: int | None = None):
    return render("referrals/problem.html", reason=reason, association=association), status or PROBLEM_STATUS[reason]


for blueprint in (bp, completion_bp):
    @blueprint.url_value_preprocessor
    def pull_token(endpoint, values):
        g.referral_token = values.pop("token")

    @blueprint.url_defaults
    def add_token(endpoint, values):
        if "token" not in values and "referral_token" in g:
            values["token"] = g.referral_token

    @blueprint.after_request
    def keep_private(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @blueprint.errorhandler(CSRFError)
    def session_expired(error):
        return _problem("session", g.get("referral_association"))


@bp.before_request
def open_link():
    try:
        g.referral_link = services.resolve(g.referral_token)
    except services.LinkProblem as problem:
        return _problem(problem.reason, problem.association)
    g.referral_association = db.session.get(Association, g.referral_link.association_id)


@completion_bp.before_request
def open_referral():
    try:
        g.referral = services.resolve_completion(g.referral_token)
    except services.LinkProblem as problem:
        return _problem(problem.reason, problem.association)
    g.referral_association = db.session.get(Association, g.referral.association_id)


def _client() -> str:
    return services.client_digest(request.remote_addr or "")


def _page(template: str, form, status: int = 200, **context):
    return render(template, form=form, association=g.referral_association, **context), status


@bp.route("/orientation", methods=["GET", "POST"])
def form():
    link = g.referral_link
    form = ReferralForm()
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(24)
    elif form.is_submitted():
        key = clean_key(form.submission_key.data)
        if services.submitted(link, key) is not None:  # replayed, or clicked twice: one referral
            return redirect(url_for(".thanks"))
        try:
            services.note_submission(link, _client())
        except services.TooManySubmissions as error:
            abandon()
            return _page("referrals/form.html", form, 429, partner=link.partner, error=str(error))
        db.session.commit()  # the limit counts refused submissions too, so it is kept whatever comes next
        if form.website.data:  # the honeypot: a robot is thanked, nothing is recorded
            return redirect(url_for(".thanks"))
        if form.validate() and key:
            try:
                services.submit(link, form.data_for_referral(), key)
            except IntegrityError:  # the same form sent twice at once: the other request made it
                abandon()
                return redirect(url_for(".thanks"))
            except RuleError as error:
                show_rule_error(form, error)
            else:
                return redirect(url_for(".thanks"))
        if not key:  # a form without its one-time key (an old copy, a robot): shown again with a new one
            form.submission_key.data = secrets.token_urlsafe(24)
            form.submission_key.errors = [_("Le formulaire a expiré : vérifiez et envoyez-le à nouveau.")]
        return _page("referrals/form.html", form, 422, partner=link.partner, error=None)
    return _page("referrals/form.html", form, partner=link.partner, error=None)


@bp.get("/orientation/merci")
def thanks():
    return _page("referrals/thanks.html", None, partner=g.referral_link.partner)


@completion_bp.route("/completer", methods=["GET", "POST"], endpoint="form")
def completion_form():
    referral = g.referral
    form = ReferralForm(obj=referral if request.method == "GET" else None)
    if request.method == "GET":
        form.submission_key.data = referral.submission_key
    elif form.validate_on_submit():
        try:
            services.complete(referral, form.data_for_referral())
        except RuleError as error:
            show_rule_error(form, error)
        else:
            return render("referrals/thanks.html", form=None, association=g.referral_association,
                          partner=referral.partner, completed=True)
    return _page("referrals/form.html", form, 422 if form.errors else 200, partner=referral.partner, error=None,
                 referral=referral)
