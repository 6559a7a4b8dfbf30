"""Staff's side of referrals: the inbox, one referral and its answers, a partner's link and poster."""

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from intranet.args import arg_choice, arg_int, paginate
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import utcnow
from intranet.forms import show_rule_error
from intranet.partners.models import Partner
from intranet.partners.referrals import services
from intranet.partners.referrals.forms import AcceptForm, InformationForm, LinkForm, RefuseForm
from intranet.partners.referrals.models import Referral, RefusalReason
from intranet.partners.referrals.qr import qr_svg
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404

bp = association_blueprint("referrals", __name__, role="staff")


@bp.get("/referrals")
def inbox():
    tab = arg_choice("tab", services.INBOX_TABS, "open")
    partner_id = arg_int("partner", min=1)
    referrals = paginate(services.inbox(g.association.id, tab, partner_id))
    args = {name: value for name, value in (("tab", tab if tab != "open" else ""), ("partner", partner_id)) if value}
    return render("referrals/inbox.html", "results", referrals=referrals, tab=tab, page_args=args,
                  stale_before=utcnow() - services.STALE_AFTER)


def _load(referral_id: int) -> Referral:
    return get_or_404(Referral, referral_id, joinedload(Referral.partner), joinedload(Referral.beneficiary))


def _show(referral: Referral, *, status: int = 200, duplicates=None, refuse_form=None, info_form=None):
    if duplicates is None and referral.open:
        duplicates = services.duplicates_of(referral)
    return render("referrals/show.html", referral=referral, duplicates=duplicates or [],
                  accept_form=AcceptForm(formdata=None), refuse_form=refuse_form or RefuseForm(formdata=None),
                  info_form=info_form or InformationForm(formdata=None),
                  stale=referral.open and referral.received_at <= utcnow() - services.STALE_AFTER), status


@bp.get("/referrals/<int:referral_id>")
def show(referral_id: int):
    return _show(_load(referral_id))


@bp.post("/referrals/<int:referral_id>/accept")
def accept(referral_id: int):
    referral = _load(referral_id)
    form = AcceptForm()
    if not form.validate_on_submit():
        flash(_("Cette fiche n’existe pas."), "error")
        return _show(referral, status=422)
    existing = get_or_404(Beneficiary, form.beneficiary_id.data) if form.beneficiary_id.data else None
    try:
        beneficiary = services.accept(referral, user_id=current_user.id, existing=existing,
                                      create_anyway=form.create_anyway.data == "1")
    except services.DuplicatesFound as found:
        show_rule_error(None, found)
        return _show(_load(referral_id), status=409, duplicates=found.duplicates)
    except RuleError as error:
        show_rule_error(None, error)
        return _show(_load(referral_id), status=409)
    if existing is not None:
        flash(_("Orientation acceptée et rattachée à la fiche de %(name)s. Le prescripteur est prévenu.",
                name=beneficiary.full_name), "success")
    else:
        flash(_("Orientation acceptée : la fiche de %(name)s est créée. Le prescripteur est prévenu.",
                name=beneficiary.full_name), "success")
    return redirect(url_for("beneficiaries.show", beneficiary_id=beneficiary.id))


@bp.post("/referrals/<int:referral_id>/refuse")
def refuse(referral_id: int):
    referral = _load(referral_id)
    form = RefuseForm()
    if form.validate_on_submit():
        try:
            services.refuse(referral, reason=form.reason.data, note=form.note.data or "", user_id=current_user.id)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Orientation refusée (%(reason)s). Le prescripteur est prévenu.",
                    reason=RefusalReason.label_of(referral.refusal_reason)), "success")
            return redirect(url_for("referrals.inbox"))
    return _show(_load(referral_id), status=422, refuse_form=form)


@bp.post("/referrals/<int:referral_id>/ask")
def ask(referral_id: int):
    referral = _load(referral_id)
    form = InformationForm()
    if form.validate_on_submit():
        try:
            services.ask_for_information(referral, message=form.message.data, user_id=current_user.id)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Demande de précisions envoyée à %(email)s.", email=referral.referrer_email), "success")
            return redirect(url_for("referrals.show", referral_id=referral.id))
    return _show(_load(referral_id), status=422, info_form=form)


# --- a partner's link -------------------------------------------------------------------------------


def _partner(partner_id: int) -> Partner:
    return get_or_404(Partner, partner_id)


@bp.post("/partners/<int:partner_id>/referral-link")
def create_link(partner_id: int):
    partner = _partner(partner_id)
    if LinkForm().validate_on_submit():
        had = services.active_link(partner) is not None
        try:
            services.create_link(partner, created_by_id=current_user.id)
        except RuleError as error:
            show_rule_error(None, error)
        else:
            flash(_("Nouveau lien créé : l’ancien ne fonctionne plus, imprimez la nouvelle affiche.") if had else
                  _("Lien d’orientation créé. Envoyez-le au partenaire ou imprimez son affiche."), "success")
    return redirect(url_for("partners.show", partner_id=partner.id) + "#referral-link")


@bp.post("/partners/<int:partner_id>/referral-link/revoke")
def revoke_link(partner_id: int):
    partner = _partner(partner_id)
    link = services.active_link(partner)
    if LinkForm().validate_on_submit() and link is not None:
        services.revoke_link(link)
        flash(_("Le lien d’orientation de %(name)s ne fonctionne plus.", name=partner.name), "success")
    return redirect(url_for("partners.show", partner_id=partner.id) + "#referral-link")


@bp.get("/partners/<int:partner_id>/poster")
def poster(partner_id: int):
    partner = _partner(partner_id)
    info = services.link_info(partner)
    return render("referrals/poster.html", partner=partner, url=info.url, link=info.link,
                  qr=qr_svg(info.url, title=_("Code QR du lien d’orientation")) if info.url else "",
                  link_form=LinkForm())


@bp.app_template_global()
def referrals_waiting(association_id: int) -> int:
    """How many referrals wait for staff (the navigation shows it)."""
    return services.waiting_count(association_id)


