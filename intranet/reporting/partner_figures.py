"""The network's figures on partners: the relationships' stages, referrals received and accepted, and how many
meetings a partner took before its first referral.

Three grouped statements whatever the size of the network. Filters: the period and the associations; a program
or a territory concerns the people accompanied, not the partners (the section says so).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from intranet.extensions import db
from intranet.partners import trust
from intranet.partners.models import Partner, PartnerStage, StageChange
from intranet.partners.referrals.models import Referral, ReferralStatus
from intranet.reporting.figures import association_conditions, ratio
from intranet.reporting.periods import Filters
from intranet.reporting.registry import Figure, Values, figure_section

PARTNER_FIGURES = [
    Figure("partners", _l("Partenaires"), compare=False, note=_l("dans l’annuaire à la fin de la période")),
    *(Figure(f"partners_{stage.value}", _l("… %(stage)s", stage=stage.label), compare=False) for stage in PartnerStage),
    Figure("referrals_received", _l("Orientations reçues"), headline=True),
    Figure("referrals_accepted", _l("Orientations acceptées"),
           note=_l("parmi les orientations reçues dans la période, celles acceptées depuis")),
    Figure("first_referral_meetings", _l("Rencontres avant une première orientation (moyenne)"), unit="decimal",
           compare=False, higher_is_better=None,
           note=_l("partenaires dont la première orientation est arrivée dans la période")),
]


def stage_at_end(filters: Filters):
    """SQL, per partner: its stage at the end of the period (its last change by then; its stage today without one)."""
    last = (select(StageChange.to_stage).where(StageChange.partner_id == Partner.id,
                                               StageChange.changed_at < filters.period.until)
            .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(1)
            .correlate(Partner).scalar_subquery())
    return func.coalesce(last, Partner.stage)


@figure_section("partners", _l("Partenaires et orientations"), 35, PARTNER_FIGURES, notes=(
    _l("Les étapes sont celles de la fin de la période, pour les partenaires actifs de l’annuaire. Le programme, "
       "le département et la zone rurale concernent les personnes accompagnées : ils ne s’appliquent pas ici."),
))
def partner_figures(filters: Filters) -> Values:
    values: Values = {}
    staged = (select(Partner.association_id, stage_at_end(filters).label("stage"))
              .where(Partner.active.is_(True), Partner.created_at < filters.period.until,
                     *association_conditions(Partner.association_id, filters)).subquery())
    for association_id, stage, n in db.session.execute(
            select(staged.c.association_id, staged.c.stage, func.count())
            .group_by(staged.c.association_id, staged.c.stage)):
        v = values.setdefault(association_id, {})
        v[f"partners_{stage}"] = n
        v["partners"] = v.get("partners", 0) + n
    for row in db.session.execute(
            select(Referral.association_id, func.count().label("received"),
                   func.count().filter(Referral.status == ReferralStatus.ACCEPTED).label("accepted"))
            .where(Referral.received_on >= filters.period.start, Referral.received_on <= filters.period.end,
                   *association_conditions(Referral.association_id, filters))
            .group_by(Referral.association_id)):
        values.setdefault(row.association_id, {}).update(referrals_received=row.received,
                                                         referrals_accepted=row.accepted)
    for row in db.session.execute(trust.first_referrals_between(filters.period.start, filters.period.end,
                                                                list(filters.associations) or None)):
        values.setdefault(row.association_id, {}).update(first_referral_partners=row.partners,
                                                         first_referral_meeting_sum=int(row.meetings or 0))
    counted = ["partners", *(f"partners_{s.value}" for s in PartnerStage), "referrals_received", "referrals_accepted",
               "first_referral_partners", "first_referral_meeting_sum"]
    values[None] = {k: sum(v.get(k) or 0 for v in values.values()) for k in counted}
    for v in values.values():
        for stage in PartnerStage:
            v.setdefault(f"partners_{stage.value}", 0)
        v["first_referral_meetings"] = ratio(v.get("first_referral_meeting_sum") or 0,
                                             v.get("first_referral_partners") or 0)
    return values
