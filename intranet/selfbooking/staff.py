"""The staff action that sends a beneficiary their personal booking link."""

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _

from intranet.beneficiaries.models import Beneficiary
from intranet.forms import EmptyForm, show_rule_error
from intranet.rules import RuleError
from intranet.selfbooking import services as selfbooking
from intranet.tenancy import association_blueprint, get_or_404

bp = association_blueprint("booking_links", __name__, role="staff")


@bp.post("/beneficiaries/<int:beneficiary_id>/booking-link")
def create(beneficiary_id: int):
    beneficiary = get_or_404(Beneficiary, beneficiary_id)
    if EmptyForm().validate_on_submit():
        try:
            sent = selfbooking.send_link(beneficiary)
        except RuleError as error:
            show_rule_error(None, error)
        else:
            # Shown once: only the hash is kept, so the address cannot be displayed again later.
            if sent.mailed:
                flash(_("Lien de réservation envoyé à %(email)s. Vous pouvez aussi le lire ou l’envoyer par SMS "
                        "(il ne sera plus affiché) : %(url)s", email=beneficiary.email, url=sent.url), "success")
            else:
                flash(_("Pas d’adresse e-mail : lisez ce lien à la personne ou envoyez-le par SMS (il ne sera plus "
                        "affiché) : %(url)s", url=sent.url), "info")
            if selfbooking.next_step(sent.link) is None and not selfbooking.upcoming(sent.link):
                flash(_("Attention : aucun module de son parcours n’est à planifier, le lien ne propose rien "
                        "à réserver pour l’instant."), "error")
    return redirect(url_for("beneficiaries.show", beneficiary_id=beneficiary.id, slug=g.association.slug))
