"""The network's figures on volunteers: active, trained, qualifications ending, hours given and their value.

Hours and "active" read the volunteers' own definition of volunteer time (`volunteers.hours.sources`: sessions
done, completed trainings attended, other activities), so these figures and the hours reports never disagree.
A fixed number of grouped statements whatever the size of the network. The program filter keeps the sessions
of its modules and what qualifies for them; the territory filters concern the people accompanied, not volunteers.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, union

from intranet.extensions import db
from intranet.members.models import ACTIVE, Membership
from intranet.reporting.figures import association_conditions
from intranet.reporting.periods import Filters
from intranet.reporting.registry import Figure, Values, figure_section
from intranet.volunteers import hours
from intranet.volunteers.directory import expiring_between
from intranet.volunteers.models import Qualification, VolunteerProfile

VOLUNTEER_FIGURES = [
    Figure("volunteers_active", _l("Bénévoles actif·ves"),
           note=_l("ont donné du temps dans la période : séance réalisée, formation suivie ou autre activité")),
    Figure("volunteers_trained", _l("Bénévoles formé·es"), headline=True,
           note=_l("présent·es à une formation terminée ou habilitation obtenue dans la période")),
    Figure("qualifications_expiring", _l("Habilitations arrivant à échéance dans la période"), compare=False,
           higher_is_better=False, note=_l("non renouvelées, des bénévoles toujours membres ; l’accueil de chaque "
                                           "association montre celles des 30 prochains jours")),
    Figure("volunteer_hours", _l("Heures de bénévolat"), unit="hours", headline=True),
    Figure("volunteer_hours_coaching", _l("… en séances d’accompagnement"), unit="hours", compare=False),
    Figure("volunteer_hours_training", _l("… en formations suivies"), unit="hours", compare=False),
    Figure("volunteer_hours_other", _l("… en autres activités"), unit="hours", compare=False),
    Figure("volunteer_value", _l("Valorisation du bénévolat"), unit="euros", compare=False,
           note=_l("chaque heure au taux horaire en vigueur le jour où elle a été donnée")),
]


def scope_of(filters: Filters) -> hours.Scope:
    return hours.Scope(filters.period.start, filters.period.end, list(filters.associations) or None,
                       program=filters.program or None)


def _counts(pairs, values: dict, key: str) -> None:
    """Distinct people per association from a subquery of (association_id, user_id), and for the network: a
    person volunteering in two associations counts in each, and once in the network's total."""
    for association_id, n in db.session.execute(
            select(pairs.c.association_id, func.count(func.distinct(pairs.c.user_id)))
            .group_by(pairs.c.association_id)):
        values.setdefault(association_id, {})[key] = n
    values[None][key] = db.session.scalar(select(func.count(func.distinct(pairs.c.user_id))))


def trained(filters: Filters, sources: list[hours.Source]):
    """The (association_id, user_id) pairs trained in the period: present at a completed training session, or a
    qualification obtained (a subquery)."""
    attended = [s.select(s.association.label("association_id"), s.person.label("user_id"))
                for s in sources if s.kind == "training"]
    obtained = (select(Qualification.association_id.label("association_id"), VolunteerProfile.user_id.label("user_id"))
                .join(VolunteerProfile, VolunteerProfile.id == Qualification.profile_id)
                .where(Qualification.obtained_on >= filters.period.start, Qualification.obtained_on <= filters.period.end,
                       *association_conditions(Qualification.association_id, filters)))
    if filters.program:
        obtained = obtained.where(Qualification.code.in_(hours.program_codes(filters.program)))
    return union(*attended, obtained).subquery()


def expiring(filters: Filters):
    """Per association: qualifications of current members ending in the period, not renewed."""
    query = (select(Qualification.association_id, func.count())
             .join(VolunteerProfile, VolunteerProfile.id == Qualification.profile_id)
             .join(Membership, Membership.id == VolunteerProfile.membership_id)
             .where(Membership.state == ACTIVE, expiring_between(filters.period.start, filters.period.end),
                    *association_conditions(Qualification.association_id, filters))
             .group_by(Qualification.association_id))
    if filters.program:
        query = query.where(Qualification.code.in_(hours.program_codes(filters.program)))
    return db.session.execute(query)


@figure_section("volunteers", _l("Bénévoles"), 25, VOLUNTEER_FIGURES, remote_headline=True, notes=(
    _l("Un programme choisi garde les séances de ses modules, les formations et habilitations qu’ils demandent ; "
       "les autres activités (vestiaire, accueil…) ne comptent alors pas. Le département et la zone rurale "
       "concernent les personnes accompagnées : ils ne s’appliquent pas aux bénévoles."),
    _l("Le total du réseau compte une seule fois une personne bénévole dans deux associations."),
))
def volunteer_figures(filters: Filters) -> Values:
    values: Values = {None: {}}
    scope = scope_of(filters)
    sources = hours.sources(scope)
    _counts(hours.volunteers(sources), values, "volunteers_active")
    _counts(trained(filters, sources), values, "volunteers_trained")
    for association_id, n in expiring(filters):
        values.setdefault(association_id, {})["qualifications_expiring"] = n
    found = hours.totals(scope, "association", sources)
    for (association_id, _key), row in found.items():
        values.setdefault(association_id, {}).update(_hours(row))
    values[None].update(_hours(hours.sum_of(found.values())), qualifications_expiring=sum(
        v.get("qualifications_expiring") or 0 for k, v in values.items() if k is not None))
    return values


def _hours(row: hours.Totals) -> dict:
    return {"volunteer_hours": row.total_minutes / 60, "volunteer_value": row.cents / 100,
            **{f"volunteer_hours_{kind}": row.minutes[kind] / 60 for kind in hours.KINDS}}
