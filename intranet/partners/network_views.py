"""The network office's read-only view of every association's partners: duplicates and figures."""

from flask_babel import gettext as _

from intranet.args import arg_choice, arg_str, paginate
from intranet.partners import network, trust
from intranet.partners.models import PartnerKind
from intranet.rendering import render
from intranet.tenancy import network_blueprint

bp = network_blueprint("network_partners", __name__)


@bp.get("/partners")
def index():
    q, kind = arg_str("q"), arg_choice("kind", PartnerKind)
    department = arg_str("department", max_length=3)
    partners = paginate(network.partners(q=q, kind=kind, department=department))
    rows = trust.partner_trust()
    return render("partners/network.html", "results", partners=partners, q=q, kind=kind, department=department,
                  page_args={k: v for k, v in (("q", q), ("kind", kind), ("department", department)) if v},
                  duplicates=network.duplicates(), summary=trust.summarize(rows),
                  by_kind=trust.grouped(rows, lambda r: r.kind),
                  by_department=trust.grouped(rows, lambda r: r.department or _("inconnu")),
                  referrals=network.referral_figures(), referrals_by_department=network.referral_figures("department"),
                  departments=network.departments())
