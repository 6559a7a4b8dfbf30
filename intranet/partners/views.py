"""The association's partners: the directory by stage, a partner's page, the contact log, "À relancer"."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from intranet.actions import confirmed, posted
from intranet.args import arg_choice, arg_int, arg_str, paginate
from intranet.beneficiaries.models import YesNo
from intranet.clock import today_in
from intranet.dates import format_date
from intranet.extensions import db, htmx
from intranet.forms import EmptyForm, show_rule_error
from intranet.partners import services, trust
from intranet.partners.forms import CloseStepForm, ContactForm, InteractionForm, PartnerForm, StageForm
from intranet.partners.models import Interaction, Partner, PartnerContact, PartnerKind, PartnerStage
from intranet.partners.referrals import services as referrals
from intranet.partners.referrals.forms import LinkForm
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404

bp = association_blueprint("partners", __name__, role="staff")


def _today():
    return today_in(g.association.timezone)


def _filters() -> services.Filters:
    return services.Filters(
        q=arg_str("q"), kind=arg_choice("kind", PartnerKind), stage=arg_choice("stage", PartnerStage),
        rural=arg_choice("rural", YesNo), overdue=arg_choice("overdue", ("1",)) == "1",
        inactive=arg_choice("inactive", ("1",)) == "1", sort=arg_choice("sort", services.SORTS, "name"))


def _filter_args(filters: services.Filters) -> dict:
    args = {"q": filters.q, "kind": filters.kind, "stage": filters.stage, "rural": filters.rural,
            "overdue": "1" if filters.overdue else "", "inactive": "1" if filters.inactive else "",
            "sort": filters.sort if filters.sort != "name" else ""}
    return {name: value for name, value in args.items() if value}


@bp.get("/partners")
def index():
    filters, today = _filters(), _today()
    results = paginate(services.search(g.association.id, filters, today))
    return render("partners/index.html", "results", results=results, filters=filters, today=today,
                  page_args=_filter_args(filters), facts=services.row_facts([p.id for p in results.items]),
                  stage_form=StageForm(formdata=None), overdue=services.count_overdue(g.association.id, today))


@bp.route("/partners/new", methods=["GET", "POST"])
def create():
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            partner = services.create_partner(g.association.id, form.data_for_partner(), author_id=current_user.id)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("%(name)s est ajouté à l’annuaire.", name=partner.name), "success")
            return redirect(url_for("partners.show", partner_id=partner.id))
    return render("partners/form.html", form=form, partner=None), 422 if form.errors else 200


def _load(partner_id: int) -> Partner:
    return get_or_404(Partner, partner_id)


def _log_form(partner: Partner, formdata=True) -> InteractionForm:
    form = InteractionForm() if formdata else InteractionForm(formdata=None)
    contacts = [(c.id, c.name + (_(" (parti·e)") if not c.active else "")) for c in partner.contacts]
    form.set_choices(services.staff_choices(g.association.id), contacts)
    if not form.is_submitted() or not formdata:
        form.happened_on.data = _today()
        form.author_id.data = current_user.id
    return form


@bp.get("/partners/<int:partner_id>")
def show(partner_id: int):
    partner = _load(partner_id)
    return render("partners/show.html", partner=partner, stage_form=StageForm(formdata=None, stage=partner.stage),
                  last_change=services.last_stage_change(partner), history=services.stage_history(partner),
                  log_form=_log_form(partner, formdata=False), items=services.timeline(partner), full=True,
                  link=referrals.link_info(partner), link_form=LinkForm(), empty_form=EmptyForm(),
                  trust=trust.of_partner(partner), today=_today(), announce_text="", focus_item=None)


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
def edit(partner_id: int):
    partner = _load(partner_id)
    form = PartnerForm(obj=partner)
    if form.validate_on_submit():
        try:
            changed = services.update_partner(partner, form.data_for_partner())
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Fiche du partenaire enregistrée.") if changed else _("Aucun changement."), "success")
            return redirect(url_for("partners.show", partner_id=partner.id))
    return render("partners/form.html", form=form, partner=partner), 422 if form.errors else 200


@bp.route("/partners/<int:partner_id>/deactivate", methods=["GET", "POST"])
def deactivate(partner_id: int):
    partner = _load(partner_id)
    return confirmed(
        lambda: services.set_active(partner, False), then=url_for("partners.index"),
        done=_("%(name)s est désactivé. Son historique est conservé.", name=partner.name),
        question=_("Désactiver %(name)s ?", name=partner.name),
        explanation=_("Le partenaire n’apparaîtra plus dans l’annuaire ni dans les choix des fiches. Son lien "
                      "d’orientation cesse de fonctionner. Rien n’est effacé."),
        confirm_label=_("Oui, désactiver"), back_url=url_for("partners.show", partner_id=partner.id))


@bp.post("/partners/<int:partner_id>/reactivate")
def reactivate(partner_id: int):
    partner = _load(partner_id)
    return posted(lambda: services.set_active(partner, True), done=_("%(name)s est réactivé.", name=partner.name),
                  then=url_for("partners.show", partner_id=partner.id))


# --- stage, in place ----------------------------------------------------------------------------


@bp.post("/partners/<int:partner_id>/stage")
def change_stage(partner_id: int):
    partner = _load(partner_id)
    form = StageForm()
    error = None
    if form.validate_on_submit():
        services.change_stage(partner, form.stage.data, author_id=current_user.id)
        message = _("%(name)s : %(stage)s.", name=partner.name, stage=PartnerStage.label_of(partner.stage))
    else:
        error = message = _("Cette étape n’existe pas.")
    if htmx:
        return render("partners/_stage.html", announce=message, partner=partner, stage_form=StageForm(
            formdata=None, stage=partner.stage), last_change=services.last_stage_change(partner), error=error,
            compact=request.form.get("compact") == "1"), 422 if error else 200
    flash(message, "error" if error else "success")
    return redirect(url_for("partners.index") if request.form.get("compact") == "1"
                    else url_for("partners.show", partner_id=partner.id))


# --- the contact log -------------------------------------------------------------------------------


@bp.route("/partners/<int:partner_id>/interactions", methods=["GET", "POST"])
def log_interaction(partner_id: int):
    """The form to note an exchange, with the timeline below: in place (htmx) or as a page of its own."""
    partner = _load(partner_id)
    full = arg_choice("from", ("list",)) != "list"
    form = _log_form(partner)
    announce, focus_item, status = None, None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                interaction = services.log_interaction(
                    partner, happened_on=form.happened_on.data, kind=form.kind.data, author_id=form.author_id.data,
                    contact_ids=form.contact_ids.data or [], summary=form.summary.data,
                    next_step=form.next_step.data or "", next_step_due=form.next_step_due.data,
                    next_step_owner_id=form.next_step_owner_id.data, today=_today())
            except RuleError as error:
                show_rule_error(form, error)
            else:
                announce = _("Échange du %(date)s avec %(name)s noté.", name=partner.name,
                             date=format_date(interaction.happened_on, "long"))
                if not htmx:
                    flash(announce, "success")
                    return redirect(url_for("partners.show", partner_id=partner.id) + "#timeline")
                focus_item = interaction.id
                form = _log_form(partner, formdata=False)
        status = 422 if form.errors else 200
    context = dict(partner=partner, log_form=form, items=services.timeline(partner, None if full else 3), full=full,
                   announce_text=announce or "", focus_item=focus_item, empty_form=EmptyForm(), today=_today())
    if htmx:
        return render("partners/_log.html", announce=announce, **context), status
    return render("partners/log_page.html", **context), status


def _load_interaction(interaction_id: int) -> Interaction:
    return get_or_404(Interaction, interaction_id)


@bp.post("/interactions/<int:interaction_id>/done")
def close_step(interaction_id: int):
    interaction = _load_interaction(interaction_id)
    if not CloseStepForm().validate_on_submit():
        abort(400)
    services.close_next_step(interaction)
    message = _("Prochaine étape faite : %(step)s.", step=interaction.next_step)
    if htmx and request.form.get("back") == "partner":
        return render("partners/_item.html", announce=message, item=interaction, focus_item=interaction.id,
                      today=_today())
    if htmx:
        return render("partners/_follow_up.html", announce=message, step=interaction, today=_today(),
                      close_form=CloseStepForm(formdata=None), done=True)
    flash(message, "success")
    if request.form.get("back") == "partner":
        return redirect(url_for("partners.show", partner_id=interaction.partner_id) + "#timeline")
    return redirect(url_for("partners.follow_ups"))


@bp.get("/partners/follow-ups")
def follow_ups():
    mine = arg_choice("mine", ("1",)) == "1"
    steps = paginate(services.follow_ups_query(g.association.id, current_user.id if mine else None))
    return render("partners/follow_ups.html", "steps", steps=steps, mine=mine, today=_today(),
                  close_form=CloseStepForm(formdata=None), page_args={"mine": "1"} if mine else {})


# --- contacts ----------------------------------------------------------------------------------------


@bp.route("/partners/<int:partner_id>/contacts/new", methods=["GET", "POST"])
def add_contact(partner_id: int):
    partner = _load(partner_id)
    form = ContactForm()
    if form.validate_on_submit():
        contact = services.add_contact(partner, form.data_for_contact())
        flash(_("%(name)s est ajouté·e aux contacts.", name=contact.name), "success")
        return redirect(url_for("partners.show", partner_id=partner.id) + "#contacts")
    return render("partners/contact_form.html", form=form, partner=partner, contact=None), 422 if form.errors else 200


def _load_contact(partner_contact_id: int) -> PartnerContact:
    return get_or_404(PartnerContact, partner_contact_id)


@bp.route("/partner-contacts/<int:partner_contact_id>/edit", methods=["GET", "POST"])
def edit_contact(partner_contact_id: int):
    contact = _load_contact(partner_contact_id)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        services.update_contact(contact, form.data_for_contact())
        flash(_("Contact enregistré."), "success")
        return redirect(url_for("partners.show", partner_id=contact.partner_id) + "#contacts")
    return render("partners/contact_form.html", form=form, partner=contact.partner, contact=contact), \
        422 if form.errors else 200


@bp.post("/partner-contacts/<int:partner_contact_id>/active")
def toggle_contact(partner_contact_id: int):
    contact = _load_contact(partner_contact_id)
    if EmptyForm().validate_on_submit():
        services.set_contact_active(contact, not contact.active)
        flash(_("%(name)s est de nouveau un contact actif.", name=contact.name) if contact.active else
              _("%(name)s est marqué·e comme parti·e ; son nom reste dans l’historique.", name=contact.name), "success")
    return redirect(url_for("partners.show", partner_id=contact.partner_id) + "#contacts")


# --- the beneficiary form's referrer picker (htmx) ---------------------------------------------------


@bp.get("/partners/referrer-options")
def referrer_options():
    """The options of the file form's "Orienté·e par" select, narrowed by a search (the choice is kept)."""
    from intranet.beneficiaries.referrers import partner_choices

    chosen = arg_int("referrer_partner_id", min=1)
    return render("partners/_referrer_options.html", choices=partner_choices(
        g.association.id, arg_str("referrer_q"), include=chosen), chosen=chosen)


@bp.get("/partners/referrer-contacts")
def referrer_contacts():
    """The contact select of the file form for the partner chosen."""
    from intranet.beneficiaries.forms import BeneficiaryForm

    form = BeneficiaryForm(formdata=None)
    form.referrer_partner_id.data = arg_int("referrer_partner_id", min=1)
    form.set_referrer_choices(g.association.id)
    return render("partners/_referrer_contact.html", form=form)


# --- figures ---------------------------------------------------------------------------------------------


@bp.get("/partners/figures")
def figures():
    today = _today()
    period = trust.period_from_args(today)
    return render("partners/figures.html", period=period, stats=trust.referral_stats(g.association.id, period),
                  partners=trust.partner_trust(association_id=g.association.id),
                  summary=trust.summarize(trust.partner_trust(association_id=g.association.id)), today=today)


# --- the directory for the beneficiary form ----------------------------------------------------------


class Directory:
    """The partners as `beneficiaries.referrers` wants them (registered in app.extensions)."""

    def partners(self, association_id: int, q: str = "", include: int | None = None) -> list[tuple[int, str]]:
        from intranet.search import matches

        query = select(Partner.id, Partner.name).where(Partner.association_id == association_id)
        condition = Partner.active.is_(True)
        if q.strip():
            condition = condition & matches(Partner.search_key, q)
        if include:
            condition = condition | (Partner.id == include)
        return [tuple(row) for row in db.session.execute(query.where(condition).order_by(Partner.name_key, Partner.id))]

    def contacts(self, association_id: int, partner_id: int | None, include: int | None = None) -> list[tuple[int, str]]:
        condition = PartnerContact.active.is_(True)
        if include:
            condition = condition | (PartnerContact.id == include)
        return [(contact_id, name + (f" — {role}" if role else "")) for contact_id, name, role in db.session.execute(
            select(PartnerContact.id, PartnerContact.name, PartnerContact.role)
            .where(PartnerContact.association_id == association_id, PartnerContact.partner_id == partner_id, condition)
            .order_by(PartnerContact.name, PartnerContact.id))]
